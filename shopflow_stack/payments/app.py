"""The payments service (the "payments" host): `create_app(settings)` for shopflow_stack/serve.py.

Stripe's API subset under /v1, the hosted card fields and 3DS challenge pages, /health,
and the webhook delivery thread that runs for the life of the process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from shopflow_stack.payments import api, pages
from shopflow_stack.payments.cards import load_catalogue
from shopflow_stack.payments.engine import Sandbox
from shopflow_stack.payments.errors import invalid_request
from shopflow_stack.payments.store import Store
from shopflow_stack.payments.webhooks import Webhooks
from shopflow_stack.security.edge import edge_middleware
from shopflow_stack.security.headers import NO_CONTENT_POLICY
from shopflow_stack.settings import Settings

log = logging.getLogger("shopflow_stack.payments")
WEBHOOK_PATH = "/webhooks/stripe"


def _too_large(limit: int) -> Response:
    """The body limit's 413 in Stripe's error shape, so the SDK reads it as an InvalidRequestError."""
    error = invalid_request(f"The request body is over the sandbox's limit of {limit} bytes.", status=413)
    return JSONResponse(error.body(), status_code=error.status)


def create_app(settings: Settings) -> FastAPI:
    store = Store(settings.stack_dir / "payments.sqlite3")
    webhooks = Webhooks(store, settings.api_url.rstrip("/") + WEBHOOK_PATH, settings.webhook_secret)
    sandbox = Sandbox(store, load_catalogue(), webhooks, settings.browser_payments_url, settings.shop_origins)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        webhooks.start()
        try:
            yield
        finally:
            webhooks.stop()

    # The pages set their own CSP (pages.py); anything else in HTML is not content at all.
    middleware = edge_middleware(settings.max_body_bytes, csp=NO_CONTENT_POLICY, too_large=_too_large)
    app = FastAPI(
        title="ShopFlow payment sandbox (Stripe-compatible)",
        version=settings.version,
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = sandbox

    @app.exception_handler(Exception)
    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"error": {"type": "api_error", "message": "An unexpected error occurred in the payment sandbox."}}, status_code=500
        )

    @app.get("/health")
    def health() -> dict:
        return {
            "status": "ok",
            "version": settings.version,
            "service": "payments",
            "webhooks_pending": store.pending_deliveries(),
            "faults": settings.faults.names,
        }

    app.include_router(api.build_router(settings, sandbox))
    app.include_router(pages.build_router(settings, sandbox))
    return app
