"""Staff sign-in with the stack's admin credentials (settings.admin_user / admin_password)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shopflow_stack.frontend.api_client import ShopApi, forwarded_headers
from shopflow_stack.frontend.rendering import flash, pop_flash
from shopflow_stack.security import csrf

router = APIRouter()


class NotSignedIn(Exception):
    """Raised by admin_api() for a visitor who has not signed in; the app redirects."""


def admin_api(request: Request) -> ShopApi:
    """The admin API for a signed-in member of staff (the token never leaves the server)."""
    if not request.session.get("staff"):
        raise NotSignedIn()
    app_state = request.app.state
    return ShopApi(app_state.http, app_state.settings.admin_token, forwarded_headers(request))


def render(request: Request, template: str, context: dict | None = None, status_code: int = 200) -> HTMLResponse:
    base = {"staff": request.session.get("staff"), "flashes": pop_flash(request)}
    return request.app.state.templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status_code)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    return render(request, "sign_in.html", {"email": ""})


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, email: str = Form(""), password: str = Form("")):
    settings = request.app.state.settings
    good_user = hmac.compare_digest(email.strip().lower().encode(), settings.admin_user.lower().encode())
    good_password = hmac.compare_digest(password.encode(), settings.admin_password.encode())
    if not (good_user and good_password):
        return render(request, "sign_in.html", {"email": email, "error": "Wrong email or password."}, 401)
    request.session["staff"] = settings.admin_user
    csrf.rotate(request.session)  # a token seen before signing in is not the signed-in one
    flash(request, "Signed in.", "success")
    return RedirectResponse("/orders", status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/sign-in", status_code=303)
