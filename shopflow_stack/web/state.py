"""What the storefront remembers about a shopper, in its signed session cookie.

The cookie holds ids and the signed-in customer's token, never the service token and never
card data. Keys: `csrf_token` (shopflow_stack/security/csrf.py), `cart_id`, `cart_count` (the header
badge, so no page needs an extra API call for it), `customer` + `token`, `checkout` (the
order made from the current cart, so a declined card can be retried on the same order) and
`orders` (ids this browser placed, which may open their confirmation page).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from shopflow_stack.frontend.api_client import ShopApi, forwarded_headers
from shopflow_stack.security import csrf

MAX_REMEMBERED_ORDERS = 20


def shop_api(request: Request) -> ShopApi:
    """The API as this shopper: their customer token once signed in, else the service token."""
    app_state = request.app.state
    token = request.session.get("token") or app_state.settings.service_token
    return ShopApi(app_state.http, token, forwarded_headers(request))


def customer(request: Request) -> dict[str, Any] | None:
    return request.session.get("customer")


def cart_id(request: Request) -> str | None:
    return request.session.get("cart_id")


def remember_cart(request: Request, cart: dict[str, Any]) -> None:
    request.session["cart_id"] = cart["id"]
    request.session["cart_count"] = int(cart.get("item_count", 0))


def forget_cart(request: Request) -> None:
    for key in ("cart_id", "cart_count", "checkout"):
        request.session.pop(key, None)


def pending_order_id(request: Request) -> str | int | None:
    """The order already made from the current cart (a retry pays it again), if any."""
    pending = request.session.get("checkout") or {}
    if pending.get("cart_id") == cart_id(request):
        return pending.get("order_id")
    return None


def remember_order(request: Request, order: dict[str, Any]) -> None:
    request.session["checkout"] = {"cart_id": cart_id(request), "order_id": order["id"]}
    orders = [o for o in request.session.get("orders", []) if o != order["id"]]
    request.session["orders"] = ([order["id"]] + orders)[:MAX_REMEMBERED_ORDERS]


def placed_here(request: Request, order_id: str) -> bool:
    return any(str(o) == str(order_id) for o in request.session.get("orders", []))


def sign_in(request: Request, customer_data: dict[str, Any], token: str) -> None:
    request.session["customer"] = {k: customer_data.get(k) for k in ("id", "email", "name")}
    request.session["token"] = token
    csrf.rotate(request.session)  # a token seen before signing in is not the signed-in one


def sign_out(request: Request) -> None:
    """Forget the customer and their cart; the next cart is a guest's again."""
    for key in ("customer", "token", "orders"):
        request.session.pop(key, None)
    forget_cart(request)
