"""Checkout: details, shipping, card entry in the sandbox's hosted fields, 3DS, confirmation.

The page's script turns the card into a payment method id inside the payment provider's
iframe and sends only that id here; this server makes the order (once per cart) and asks
the API to pay it. A declined card leaves the order payable, so the customer retries with
another card on the same order and cart.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from shopflow_stack.frontend.api_client import ApiError, ShopApi
from shopflow_stack.frontend.rendering import flash, money
from shopflow_stack.payments.keys import publishable_key
from shopflow_stack.web import state
from shopflow_stack.web.cart import current_cart
from shopflow_stack.web.pages import render
from shopflow_stack.web.payment_messages import AUTHENTICATION_FAILED, decline_message

router = APIRouter()

ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")
SHIPPING_METHODS = ("standard", "express")
SETTLED = ("paid", "fulfilled", "partially_refunded", "refunded")
COUNTRIES = (
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("AU", "Australia"),
)
ORDER_ERRORS = {
    "out_of_stock": "Sorry, an item in your cart is now out of stock. Please update your cart.",
    "cart_empty": "Your cart is empty.",
    "cart_closed": "This cart has already been ordered. Please start a new cart.",
}


def _fail(code: str, message: str, status: int = 200, **extra: Any) -> JSONResponse:
    return JSONResponse({"outcome": "failed", "error": {"code": code, "message": message}, **extra}, status)


@router.get("/checkout", response_class=HTMLResponse)
async def checkout_page(request: Request) -> Response:
    faults = request.app.state.settings.faults
    if "slow_page" in faults:  # the page answers late: its TTFB (and everything after) grows by N ms
        await asyncio.sleep(faults.param("slow_page") / 1000)
    cart = await current_cart(request, state.shop_api(request))
    if not cart or not cart.get("lines"):
        return RedirectResponse("/cart", status_code=303)
    details = request.session.get("details") or {}
    customer = state.customer(request)
    if not details.get("email") and customer:
        details = {**details, "email": customer["email"], "name": customer.get("name")}
    parent_origin = str(request.base_url).rstrip("/")
    settings = request.app.state.settings
    return render(
        request,
        "checkout.html",
        {
            "cart": cart,
            "details": details,
            "countries": COUNTRIES,
            "order_locked": bool(state.pending_order_id(request)),
            "elements_url": f"{settings.browser_payments_url}/elements/card?pk={publishable_key(settings)}&parent_origin={parent_origin}",
            "pay_button_broken": "pay_button_broken" in settings.faults,
            "pay_button_unnamed": "pay_button_unnamed" in settings.faults,
            "auth_failed_message": AUTHENTICATION_FAILED,
        },
    )


@router.post("/checkout/api/shipping")
async def choose_shipping(request: Request) -> JSONResponse:
    body = await _json(request)
    method = body.get("shipping_method")
    if method not in SHIPPING_METHODS:
        return _fail("invalid_request", "Please choose a shipping method.", 422)
    api = state.shop_api(request)
    cid = state.cart_id(request)
    if not cid:
        return _fail("cart_empty", "Your cart is empty.", 409)
    if state.pending_order_id(request):
        cart = await api.get(f"/api/carts/{cid}")
    else:
        cart = await api.call("PATCH", f"/api/carts/{cid}", json={"shipping_method": method})
    return JSONResponse({"outcome": "ok", "cart": _totals(cart)})


@router.post("/checkout/api/pay")
async def pay(request: Request) -> JSONResponse:
    body = await _json(request)
    problem = _validate(body)
    if problem:
        return _fail("invalid_request", problem, 422)
    api = state.shop_api(request)
    details = {k: str(body.get(k, "")).strip() for k in ("email", *ADDRESS_FIELDS)}
    request.session["details"] = details
    order_id = state.pending_order_id(request)
    if not order_id:
        cid = state.cart_id(request)
        if not cid:
            return _fail("cart_empty", "Your cart is empty.", 409)
        try:
            await api.call("PATCH", f"/api/carts/{cid}", json={"shipping_method": body["shipping_method"]})
            order = await api.call(
                "POST",
                "/api/orders",
                idempotency_key=f"web-order-{cid}",
                json={
                    "cart_id": cid,
                    "email": details["email"],
                    "shipping_address": {k: details[k] for k in ADDRESS_FIELDS},
                },
            )
        except ApiError as error:
            if error.code in ORDER_ERRORS:
                return _fail(error.code, ORDER_ERRORS[error.code], 409)
            raise
        state.remember_order(request, order)
        order_id = order["id"]
    return await _pay_order(request, api, order_id, str(body["payment_method"]))


async def _pay_order(request: Request, api: ShopApi, order_id: Any, payment_method: str) -> JSONResponse:
    confirmation = f"/orders/{order_id}/confirmation"
    return_url = f"{str(request.base_url).rstrip('/')}/checkout/complete?order={order_id}"
    try:
        result = await api.call(
            "POST",
            f"/api/orders/{order_id}/pay",
            json={"payment_method": payment_method, "return_url": return_url},
            idempotency_key=f"web-pay-{order_id}-{payment_method}",
        )
    except ApiError as error:
        if error.status == 402:
            message = decline_message(error.code, error.decline_code, error.message, request.app.state.settings.faults)
            return _fail(error.code, message, order_id=order_id, decline_code=error.decline_code)
        if error.code in ("order_not_payable", "payment_in_progress"):
            order = await api.get(f"/api/orders/{order_id}")
            if order["status"] in SETTLED:
                return JSONResponse({"outcome": "succeeded", "order_id": order_id, "confirmation_url": confirmation})
            return _fail(error.code, "Your previous payment is still being processed. Please wait a moment and try again.")
        if error.status == 422:
            return _fail(error.code, "Please check your card details and try again.")
        if error.code == "payment_provider_unavailable":
            return _fail(
                error.code, "The payment service is not answering. Your card was not charged; please try again in a moment."
            )
        raise
    payment = result.get("payment") or {}
    if payment.get("status") == "requires_action":
        redirect = (payment.get("next_action") or {}).get("redirect_url")
        return JSONResponse(
            {"outcome": "requires_action", "order_id": order_id, "redirect_url": redirect, "confirmation_url": confirmation}
        )
    if payment.get("status") in ("succeeded", "processing"):
        return JSONResponse({"outcome": "succeeded", "order_id": order_id, "confirmation_url": confirmation})
    message = decline_message(None, payment.get("decline_code"), None, request.app.state.settings.faults)
    return _fail("card_declined", message, order_id=order_id)


@router.get("/checkout/api/orders/{order_id}")
async def order_status(request: Request, order_id: str) -> JSONResponse:
    """The order's status, for the page to wait until the provider's webhook settles it."""
    if not state.placed_here(request, order_id):
        return _fail("not_found", "No such order in this browser.", 404)
    order = await state.shop_api(request).get(f"/api/orders/{order_id}")
    payments = order.get("payments") or []
    last = payments[-1] if payments else {}
    return JSONResponse(
        {
            "status": order["status"],
            "settled": order["status"] in SETTLED,
            "payment_status": last.get("status"),
            "decline_code": last.get("decline_code"),
        }
    )


@router.get("/checkout/complete")
async def challenge_returned(request: Request, order: str = "", redirect_status: str = "") -> RedirectResponse:
    """Where a 3DS challenge opened at top level (not in the modal) sends the customer back."""
    if not state.placed_here(request, order):
        return RedirectResponse("/cart", status_code=303)
    if redirect_status == "succeeded":
        return RedirectResponse(f"/orders/{order}/confirmation", status_code=303)
    flash(request, AUTHENTICATION_FAILED, "error")
    return RedirectResponse("/checkout", status_code=303)


@router.get("/orders/{order_id}/confirmation", response_class=HTMLResponse)
async def confirmation(request: Request, order_id: str) -> HTMLResponse:
    if not state.placed_here(request, order_id):
        return render(
            request,
            "error.html",
            {"title": "Order not found", "status": 404, "message": "We could not find that order in this browser."},
            404,
        )
    order = await state.shop_api(request).get(f"/api/orders/{order_id}")
    if str(state.pending_order_id(request)) == str(order_id) and order["status"] in SETTLED:
        state.forget_cart(request)
    return render(request, "confirmation.html", {"order": order, "settled": order["status"] in SETTLED})


async def _json(request: Request) -> dict[str, Any]:
    """JSON bodies only (the page's script sends them with its X-CSRF-Token, checked before this runs)."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _validate(body: dict[str, Any]) -> str | None:
    email = str(body.get("email", "")).strip()
    if "@" not in email or "." not in email.split("@")[-1]:
        return "Please enter a valid email address."
    missing = [f for f in ADDRESS_FIELDS if not str(body.get(f, "")).strip()]
    if missing:
        return f"Please fill in your shipping address ({', '.join(m.replace('_', ' ') for m in missing)})."
    if body.get("shipping_method") not in SHIPPING_METHODS:
        return "Please choose a shipping method."
    if not str(body.get("payment_method", "")).startswith("pm_"):
        return "Please enter your card details."
    return None


def _totals(cart: dict[str, Any]) -> dict[str, Any]:
    currency = cart.get("currency", "USD")
    return {key: money(cart.get(key), currency) for key in ("subtotal", "shipping", "tax", "total")} | {
        "shipping_method": cart.get("shipping_method")
    }
