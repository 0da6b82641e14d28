"""The storefront ASGI app: `python -m shopflow_stack.serve web` serves it on the stack's web port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from shopflow_stack.frontend.api_client import ApiError, new_http_client
from shopflow_stack.frontend.rendering import STATIC_DIR, csrf_refused, make_templates, session_secret
from shopflow_stack.security.csrf import CsrfProtect
from shopflow_stack.security.edge import edge_middleware
from shopflow_stack.security.headers import site_policy
from shopflow_stack.security.origins import origin_of
from shopflow_stack.settings import Settings
from shopflow_stack.web import account, cart, catalogue, checkout, state

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.http = new_http_client(settings.api_url)
        yield
        await app.state.http.aclose()

    port = settings.web_url.rsplit(":", 1)[1]
    middleware = [
        # the card fields come from the payments host, in an iframe (shopflow_stack/payments/README.md)
        *edge_middleware(settings.max_body_bytes, csp=site_policy(frame_src=str(origin_of(settings.browser_payments_url)))),
        Middleware(
            SessionMiddleware,
            secret_key=session_secret(settings.admin_token, "web"),
            session_cookie=f"shopflow_web_{port}",
            same_site="lax",
            max_age=14 * 24 * 3600,
        ),
        Middleware(CsrfProtect, refuse=csrf_refused),
    ]
    app = FastAPI(
        title="ShopFlow storefront",
        version=settings.version,
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.templates = make_templates(TEMPLATES_DIR)
    app.state.templates.env.globals.update(site="web", payments_url=settings.browser_payments_url)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (catalogue, cart, checkout, account):
        app.include_router(module.router)

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "version": settings.version}

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        if error.status == 401 and request.session.get("token"):
            # The customer's token no longer works (the stack was reset): go on as a guest.
            state.sign_out(request)
            if request.method == "GET" and not request.url.path.startswith("/checkout/api/"):
                return RedirectResponse(str(request.url.path), status_code=303)
        status = error.status if error.status in (404, 503) else 502
        if request.url.path.startswith("/checkout/api/"):
            return JSONResponse({"outcome": "error", "error": {"code": error.code, "message": error.message}}, status)
        title = "Not found" if status == 404 else "Something went wrong"
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"title": title, "message": error.message, "status": status},
            status_code=status,
        )

    return app
