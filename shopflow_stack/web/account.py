"""Sign-up, sign-in, sign-out and the account page with the customer's orders.

Signing in keeps the guest cart: it goes on with the customer's token, or, if the API will
not let the customer use a cart made as a guest, its lines move to a new customer cart.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shopflow_stack.frontend.api_client import ApiError, ShopApi
from shopflow_stack.frontend.rendering import flash
from shopflow_stack.web import state
from shopflow_stack.web.pages import render

router = APIRouter()


@router.get("/account/sign-up", response_class=HTMLResponse)
async def sign_up_page(request: Request) -> HTMLResponse:
    return render(request, "sign_up.html", {"values": {}})


@router.post("/account/sign-up", response_class=HTMLResponse)
async def sign_up(request: Request, name: str = Form(""), email: str = Form(""), password: str = Form("")):
    values = {"name": name.strip(), "email": email.strip()}
    if not values["name"] or "@" not in values["email"] or len(password) < 8:
        return render(
            request,
            "sign_up.html",
            {"values": values, "error": "Please give your name, a valid email and a password of at least 8 characters."},
            422,
        )
    guest = state.shop_api(request)
    try:
        result = await guest.call("POST", "/api/customers", json={**values, "password": password})
    except ApiError as error:
        if error.code == "email_taken":
            return render(
                request,
                "sign_up.html",
                {"values": values, "error": "An account with this email already exists. Sign in instead."},
                409,
            )
        if error.status == 422:
            return render(request, "sign_up.html", {"values": values, "error": error.message}, 422)
        raise
    await _become(request, guest, result)
    flash(request, f"Welcome, {result['customer'].get('name') or values['name']}! Your account is ready.", "success")
    return RedirectResponse("/account", status_code=303)


@router.get("/account/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    return render(request, "sign_in.html", {"values": {}})


@router.post("/account/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, email: str = Form(""), password: str = Form("")):
    guest = state.shop_api(request)
    try:
        result = await guest.call("POST", "/api/auth/sign-in", json={"email": email.strip(), "password": password})
    except ApiError as error:
        if error.status in (401, 422):
            return render(
                request,
                "sign_in.html",
                {"values": {"email": email}, "error": "That email and password do not match an account."},
                401,
            )
        raise
    await _become(request, guest, result)
    flash(request, "You are signed in.", "success")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    state.sign_out(request)
    flash(request, "You are signed out.", "success")
    return RedirectResponse("/", status_code=303)


@router.get("/account", response_class=HTMLResponse)
async def account(request: Request):
    if not state.customer(request):
        return RedirectResponse("/account/sign-in", status_code=303)
    try:
        orders = await state.shop_api(request).get("/api/orders")
    except ApiError as error:
        if error.status == 401:  # the token no longer works (e.g. the stack was reset)
            state.sign_out(request)
            flash(request, "Please sign in again.", "error")
            return RedirectResponse("/account/sign-in", status_code=303)
        raise
    return render(request, "account.html", {"orders": orders.get("items", [])})


async def _become(request: Request, guest: ShopApi, result: dict) -> None:
    """Sign the browser in and carry its guest cart over."""
    cid = state.cart_id(request)
    token = result["token"]
    state.sign_in(request, result["customer"], token)
    if not cid or state.pending_order_id(request):
        if state.pending_order_id(request):
            state.forget_cart(request)
        return
    as_customer = guest.with_token(token)
    try:
        await as_customer.get(f"/api/carts/{cid}")
        return
    except ApiError as error:
        if error.status not in (403, 404):
            raise
    old = await guest.get(f"/api/carts/{cid}")
    cart = await as_customer.call("POST", "/api/carts")
    for line in old.get("lines", []):
        cart = await as_customer.call(
            "POST", f"/api/carts/{cart['id']}/lines", json={"product_id": line["product_id"], "quantity": line["quantity"]}
        )
    state.forget_cart(request)
    state.remember_cart(request, cart)
