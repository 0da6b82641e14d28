"""The cart: add from a product page, change quantities, remove lines, see totals.

A cart that already became an order (the customer went back after a declined card) is
closed in the API; changing it starts a new cart with the same lines, and the unpaid order
is left behind, as on a real shop.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from shopflow_stack.frontend.api_client import ApiError, ShopApi
from shopflow_stack.frontend.rendering import flash
from shopflow_stack.web import state
from shopflow_stack.web.pages import render

router = APIRouter()

CART_ERRORS = {
    "out_of_stock": "Sorry, there is not enough stock for that quantity.",
    "invalid_quantity": "Please choose a quantity from 1 to 99.",
    "product_not_found": "That product is no longer available.",
    "line_not_found": "That item is no longer in your cart.",
}


async def current_cart(request: Request, api: ShopApi) -> dict[str, Any] | None:
    """The shopper's cart from the API, or None (no cart yet, or it has gone)."""
    cid = state.cart_id(request)
    if not cid:
        return None
    try:
        cart = await api.get(f"/api/carts/{cid}")
    except ApiError as error:
        if error.status in (403, 404):
            state.forget_cart(request)
            return None
        raise
    request.session["cart_count"] = int(cart.get("item_count", 0))
    return cart


async def open_cart(request: Request, api: ShopApi) -> dict[str, Any]:
    """A cart that can still change: the current one, a copy of one that became an order, or a new one."""
    cart = await current_cart(request, api)
    if cart and not state.pending_order_id(request):
        return cart
    fresh = await api.call("POST", "/api/carts")
    for line in (cart or {}).get("lines", []):
        fresh = await api.call(
            "POST", f"/api/carts/{fresh['id']}/lines", json={"product_id": line["product_id"], "quantity": line["quantity"]}
        )
    if cart and cart.get("shipping_method") and cart["shipping_method"] != fresh.get("shipping_method"):
        fresh = await api.call("PATCH", f"/api/carts/{fresh['id']}", json={"shipping_method": cart["shipping_method"]})
    state.forget_cart(request)
    state.remember_cart(request, fresh)
    return fresh


def _line_for(cart: dict[str, Any], line_id: str, product_id: str) -> str:
    """The line id in `cart` (which may be a fresh copy) for the line the page showed."""
    for line in cart.get("lines", []):
        if str(line["id"]) == line_id or (product_id and str(line["product_id"]) == product_id):
            return str(line["id"])
    return line_id


@router.get("/cart", response_class=HTMLResponse)
async def show_cart(request: Request) -> HTMLResponse:
    cart = await current_cart(request, state.shop_api(request))
    return render(request, "cart.html", {"cart": cart})


@router.post("/cart/lines")
async def add_line(
    request: Request, product_id: str = Form(...), quantity: int = Form(1), slug: str = Form("")
) -> RedirectResponse:
    api = state.shop_api(request)
    cart = await open_cart(request, api)
    try:
        cart = await api.call(
            "POST",
            f"/api/carts/{cart['id']}/lines",
            json={"product_id": int(product_id) if product_id.isdigit() else product_id, "quantity": quantity},
        )
    except ApiError as error:
        if error.code not in CART_ERRORS:
            raise
        flash(request, CART_ERRORS[error.code], "error")
        return RedirectResponse(f"/products/{slug}" if slug else "/cart", status_code=303)
    state.remember_cart(request, cart)
    added = next((item for item in cart["lines"] if str(item["product_id"]) == str(product_id)), None)
    flash(request, f"Added {added['name'] if added else 'the item'} to your cart.", "success")
    return RedirectResponse("/cart", status_code=303)


@router.post("/cart/lines/{line_id}")
async def change_line(request: Request, line_id: str, quantity: int = Form(...), product_id: str = Form("")) -> RedirectResponse:
    api = state.shop_api(request)
    cart = await open_cart(request, api)
    try:
        if quantity <= 0:
            cart = await api.call("DELETE", f"/api/carts/{cart['id']}/lines/{_line_for(cart, line_id, product_id)}")
        else:
            cart = await api.call(
                "PATCH", f"/api/carts/{cart['id']}/lines/{_line_for(cart, line_id, product_id)}", json={"quantity": quantity}
            )
    except ApiError as error:
        if error.code not in CART_ERRORS:
            raise
        flash(request, CART_ERRORS[error.code], "error")
        return RedirectResponse("/cart", status_code=303)
    state.remember_cart(request, cart)
    flash(request, "Your cart has been updated.", "success")
    return RedirectResponse("/cart", status_code=303)


@router.post("/cart/lines/{line_id}/remove")
async def remove_line(request: Request, line_id: str, product_id: str = Form("")) -> RedirectResponse:
    api = state.shop_api(request)
    cart = await open_cart(request, api)
    try:
        cart = await api.call("DELETE", f"/api/carts/{cart['id']}/lines/{_line_for(cart, line_id, product_id)}")
    except ApiError as error:
        if error.code != "line_not_found":
            raise
    state.remember_cart(request, cart)
    flash(request, "The item was removed from your cart.", "success")
    return RedirectResponse("/cart", status_code=303)
