"""The ShopFlow API service (the "api" host): `create_app(settings)` for shopflow_stack/serve.py.

docs/api.md is its contract. Routers are thin; the rules live in shopflow_stack/shop/.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware

from shopflow_stack import heartbeat
from shopflow_stack.api import admin, admin_payments, carts, catalogue, customers, errors, health, orders, pay
from shopflow_stack.api.auth import AuthenticateFirst
from shopflow_stack.api.context import AppContext
from shopflow_stack.api.middleware import RequestContext
from shopflow_stack.security.edge import edge_middleware
from shopflow_stack.security.headers import NO_CONTENT_POLICY
from shopflow_stack.settings import Settings

ROUTERS: list[APIRouter] = [
    health.router,
    catalogue.router,
    customers.router,
    carts.router,
    orders.router,
    pay.router,
    admin.router,
    admin_payments.router,
]


def _dependency_checks(ctx: AppContext) -> None:
    def database() -> str:
        ctx.db.ping()
        return "ok"

    def redis() -> str:
        if ctx.redis is None:
            return "disabled"
        ctx.redis.ping()
        return "ok"

    ctx.health_checks.update(database=database, redis=redis, worker=lambda: heartbeat.worker_check(ctx.settings.stack_dir))


def create_app(settings: Settings) -> FastAPI:
    ctx = AppContext.from_settings(settings)
    _dependency_checks(ctx)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        ctx.db.dispose()

    # Outermost first: the request's log line and id (added last), headers, the body limit,
    # then authentication before any body is read. No /docs pages: docs/api.md is the API's doc.
    middleware = [*edge_middleware(settings.max_body_bytes, csp=NO_CONTENT_POLICY), Middleware(AuthenticateFirst, ctx=ctx)]
    app = FastAPI(
        title="ShopFlow API",
        version=settings.version,
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
        description="The ShopFlow API as the local stack serves it (docs/api.md).",
    )
    app.state.ctx = ctx
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(RequestContext, faults=settings.faults, service_ms=settings.api_service_ms)
    return app
