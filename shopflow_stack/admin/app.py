"""The admin ASGI app: `python -m shopflow_stack.serve admin` serves it on the stack's admin port.

Staff sign in with the stack's admin credentials; the pages then call the admin API with
the admin token, which stays on the server (the cookie only says "signed in").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from shopflow_stack.admin import auth, orders
from shopflow_stack.frontend.api_client import ApiError, new_http_client
from shopflow_stack.frontend.rendering import STATIC_DIR, csrf_refused, make_templates, session_secret
from shopflow_stack.security.csrf import CsrfProtect
from shopflow_stack.security.edge import edge_middleware
from shopflow_stack.security.headers import site_policy
from shopflow_stack.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.http = new_http_client(settings.api_url)
        yield
        await app.state.http.aclose()

    port = settings.admin_url.rsplit(":", 1)[1]
    middleware = [
        *edge_middleware(settings.max_body_bytes, csp=site_policy()),
        Middleware(
            SessionMiddleware,
            secret_key=session_secret(settings.admin_token, "admin"),
            session_cookie=f"shopflow_admin_{port}",
            same_site="strict",
            max_age=8 * 3600,
        ),
        Middleware(CsrfProtect, refuse=csrf_refused),
    ]
    app = FastAPI(
        title="ShopFlow admin",
        version=settings.version,
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.templates = make_templates(TEMPLATES_DIR)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(auth.router)
    app.include_router(orders.router)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "version": settings.version}

    @app.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse("/orders", status_code=303)

    @app.exception_handler(auth.NotSignedIn)
    async def not_signed_in(request: Request, _: auth.NotSignedIn) -> RedirectResponse:
        return RedirectResponse("/sign-in", status_code=303)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        status = error.status if error.status in (404, 503) else 502
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {
                "title": "Not found" if status == 404 else "Something went wrong",
                "message": error.message,
                "status": status,
                "staff": True,
            },
            status_code=status,
        )

    return app
