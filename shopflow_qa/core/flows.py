"""ShopFlow's business flows, written once over a tiny transport protocol.

Why a protocol: the suites drive the API through `fixtures.api.ShopFlowClient` (httpx) and
the load profiles through their users' HTTP client; both must run the *same* flow
code, so a checkout means the same thing in a test and under load. A transport only needs

    request(method, path, *, json=None, headers=None, name=None) -> response

where the response has `.status_code` and `.json()`. `name` groups parameterised URLs in
Locust's statistics (`/api/orders/[id]/pay`); httpx ignores it.

Adapting Locust (the load engineer's side, in loadtests/): the profiles' lean client
(`loadtests/lean_http.py`) and Locust's own `FastHttpSession.request(method, url, name=None,
json=None, headers=None, ...)` both have this shape, so `Shop(self.client)` works as is inside
a Locust user; the bearer token and `X-ShopFlow-Test-Run` go through
`Shop(..., headers=...)`. Locust counts every 4xx/5xx as a failure; the
asserting helpers here raise `FlowError` on an unexpected answer, which a task can turn
into `response.failure(...)`, while `raw_*` helpers return the response untouched.

Helpers come in pairs (Saleor's `raw_checkout()` / `checkout()`): `raw_x()` returns the
response for negative tests; `x()` asserts the documented success status and returns the
decoded JSON. Every payment goes through the card guard first. Plain Python: no pytest.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any, Protocol, cast, runtime_checkable

from shopflow_qa.core.address import DEFAULT_ADDRESS, Address, AddressLike
from shopflow_qa.core.cards import Card, CardCatalogue, default_catalogue
from shopflow_qa.core.steps import steps


@runtime_checkable
class Response(Protocol):
    status_code: int

    def json(self) -> Any: ...


@runtime_checkable
class Transport(Protocol):
    """The one method the flows need from an HTTP client."""

    def request(
        self, method: str, path: str, *, json: Any = None, headers: Mapping[str, str] | None = None, name: str | None = None
    ) -> Any: ...


class FlowError(AssertionError):
    """An API answer other than the documented success: status, error code, message."""

    def __init__(self, action: str, response: Any, expected: int) -> None:
        self.response = response
        self.status_code = response.status_code
        detail = _error_detail(response)
        super().__init__(f"{action}: expected HTTP {expected}, got {response.status_code}{detail}")


def _error_detail(response: Any) -> str:
    try:
        error = response.json().get("error", {})
    except Exception:  # a non-JSON body: the status line says enough
        return ""
    if not isinstance(error, Mapping):
        return ""
    parts = [str(error[k]) for k in ("code", "decline_code") if error.get(k)]
    message = f" ({error['message']})" if error.get("message") else ""
    return f" {'/'.join(parts)}{message}" if parts else message


def expect(action: str, response: Any, status: int = 200) -> Any:
    """The decoded body when the status is the documented one; FlowError otherwise."""
    __tracebackhide__ = True
    if response.status_code != status:
        raise FlowError(action, response, status)
    return response.json() if status != 204 else None


class OrderStatusTimeout(AssertionError):
    """An order did not reach the awaited status in time (names the status it kept)."""


@steps("API")
class Shop:
    """The storefront API's operations and flows, over any Transport."""

    def __init__(
        self, transport: Transport | None = None, cards: CardCatalogue | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        self._transport: Transport = (
            transport if transport is not None else cast(Transport, self)
        )  # a subclass may be its own transport
        self._cards = cards
        self._headers = dict(headers or {})

    @property
    def cards(self) -> CardCatalogue:
        if self._cards is None:
            self._cards = default_catalogue()
        return self._cards

    def _call(
        self, method: str, path: str, *, json: Any = None, name: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Any:
        merged = {**self._headers, **(headers or {})} or None
        return self._transport.request(method, path, json=json, headers=merged, name=name or path)

    # -- catalogue ------------------------------------------------------------------------
    def raw_list_products(self, page: int = 1, per_page: int = 20, category: str | None = None, q: str | None = None) -> Any:
        query = f"page={page}&per_page={per_page}"
        query += f"&category={quote_part(category)}" if category else ""
        query += f"&q={quote_part(q)}" if q else ""
        return self._call("GET", f"/api/products?{query}", name="/api/products")

    def list_products(
        self, page: int = 1, per_page: int = 20, category: str | None = None, q: str | None = None
    ) -> dict[str, Any]:
        """A page of the catalogue: `{"items": [product, …], "total", "page", "per_page"}`."""
        return expect("list products", self.raw_list_products(page, per_page, category, q))

    def raw_get_product(self, product_id: int) -> Any:
        return self._call("GET", f"/api/products/{product_id}", name="/api/products/[id]")

    def get_product(self, product_id: int) -> dict[str, Any]:
        """One product: `id`, `slug`, `name`, `price` (cents), `stock`, `category`, …"""
        return expect(f"get product {product_id}", self.raw_get_product(product_id))

    def raw_get_product_by_slug(self, slug: str) -> Any:
        return self._call("GET", f"/api/products/by-slug/{slug}", name="/api/products/by-slug/[slug]")

    def get_product_by_slug(self, slug: str) -> dict[str, Any]:
        """One product by its slug (`limited-run-espresso-cups`)."""
        return expect(f"get product '{slug}'", self.raw_get_product_by_slug(slug))

    def categories(self) -> list[dict[str, Any]]:
        """The catalogue's categories (`slug`, `name`)."""
        return expect("list categories", self._call("GET", "/api/categories"))["items"]

    # -- customers ------------------------------------------------------------------------
    def raw_sign_up(self, email: str, password: str, name: str) -> Any:
        return self._call("POST", "/api/customers", json={"email": email, "password": password, "name": name})

    def sign_up(self, email: str, password: str, name: str) -> dict[str, Any]:
        """Create a customer: `{"customer": {...}, "token": ...}`."""
        return expect("sign up", self.raw_sign_up(email, password, name), 201)

    def raw_sign_in(self, email: str, password: str) -> Any:
        return self._call("POST", "/api/auth/sign-in", json={"email": email, "password": password})

    def sign_in(self, email: str, password: str) -> dict[str, Any]:
        """A customer's token: `{"customer": {...}, "token": ...}`."""
        return expect("sign in", self.raw_sign_in(email, password))

    def me(self) -> dict[str, Any]:
        """The signed-in customer (a customer token's client: `customer.api.me()`)."""
        return expect("who am I", self._call("GET", "/api/customers/me"))

    def my_orders(self) -> list[dict[str, Any]]:
        """The signed-in customer's orders, newest first."""
        return expect("my orders", self._call("GET", "/api/orders"))["items"]

    # -- cart -----------------------------------------------------------------------------
    def raw_create_cart(self) -> Any:
        return self._call("POST", "/api/carts")

    def create_cart(self) -> dict[str, Any]:
        """A new empty cart: `{"id", "lines": [], "subtotal", …}` (201)."""
        return expect("create cart", self.raw_create_cart(), 201)

    def raw_get_cart(self, cart_id: Any) -> Any:
        return self._call("GET", f"/api/carts/{cart_id}", name="/api/carts/[id]")

    def get_cart(self, cart_id: Any) -> dict[str, Any]:
        """The cart with its lines and totals (cents)."""
        return expect("get cart", self.raw_get_cart(cart_id))

    def raw_add_to_cart(self, cart_id: Any, product_id: int, quantity: int = 1) -> Any:
        return self._call(
            "POST",
            f"/api/carts/{cart_id}/lines",
            json={"product_id": product_id, "quantity": quantity},
            name="/api/carts/[id]/lines",
        )

    def add_to_cart(self, cart_id: Any, product_id: int, quantity: int = 1) -> dict[str, Any]:
        """The cart after adding `quantity` of the product (201); 409 `out_of_stock` beyond the stock."""
        return expect("add to cart", self.raw_add_to_cart(cart_id, product_id, quantity), 201)

    def raw_update_line(self, cart_id: Any, line_id: Any, quantity: int) -> Any:
        return self._call(
            "PATCH", f"/api/carts/{cart_id}/lines/{line_id}", json={"quantity": quantity}, name="/api/carts/[id]/lines/[line_id]"
        )

    def update_line(self, cart_id: Any, line_id: Any, quantity: int) -> dict[str, Any]:
        """The cart after setting the line's quantity."""
        return expect("update cart line", self.raw_update_line(cart_id, line_id, quantity))

    def raw_remove_line(self, cart_id: Any, line_id: Any) -> Any:
        return self._call("DELETE", f"/api/carts/{cart_id}/lines/{line_id}", name="/api/carts/[id]/lines/[line_id]")

    def remove_line(self, cart_id: Any, line_id: Any) -> dict[str, Any]:
        """The cart without the line."""
        return expect("remove cart line", self.raw_remove_line(cart_id, line_id))

    def raw_set_shipping(self, cart_id: Any, method: str) -> Any:
        return self._call("PATCH", f"/api/carts/{cart_id}", json={"shipping_method": method}, name="/api/carts/[id]")

    def set_shipping(self, cart_id: Any, method: str) -> dict[str, Any]:
        """The cart with `method` ("standard", "express") and its shipping cost."""
        return expect("set shipping", self.raw_set_shipping(cart_id, method))

    # -- orders and payment ---------------------------------------------------------------
    def raw_create_order(
        self, cart_id: Any, email: str, address: AddressLike = DEFAULT_ADDRESS, idempotency_key: str | None = None
    ) -> Any:
        """POST /api/orders. The API stores `email` lower-cased; `address` is an Address or a dict."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        body = {"cart_id": cart_id, "email": email, "shipping_address": Address.of(address).as_json()}
        return self._call("POST", "/api/orders", json=body, headers=headers)

    def create_order(
        self, cart_id: Any, email: str, address: AddressLike = DEFAULT_ADDRESS, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """The cart's order, `status` "pending" (201)."""
        return expect("create order", self.raw_create_order(cart_id, email, address, idempotency_key), 201)

    def raw_get_order(self, order_id: Any) -> Any:
        return self._call("GET", f"/api/orders/{order_id}", name="/api/orders/[id]")

    def get_order(self, order_id: Any) -> dict[str, Any]:
        """The order: `id`, `number` (SF-…), `status`, `email` (lower-case), `total`, `lines`, …"""
        return expect("get order", self.raw_get_order(order_id))

    def wait_for_order(
        self, order_id: Any, statuses: tuple[str, ...], timeout_s: float = 15.0, interval_s: float = 0.2
    ) -> dict[str, Any]:
        """The order once its status is one of `statuses`: the provider's webhook and the shop's
        worker settle it after the pay call returned. The last one seen when time runs out."""
        deadline = time.monotonic() + timeout_s
        while True:
            order = self.get_order(order_id)
            if order["status"] in statuses or time.monotonic() > deadline:
                return order
            time.sleep(interval_s)

    def wait_for_order_status(self, order_id: Any, *statuses: str, timeout_s: float = 15.0) -> dict[str, Any]:
        """The order once its status is one of `statuses` ("paid", "fulfilled", "payment_failed",
        "refunded", …: set later by the provider's webhook and the worker); OrderStatusTimeout
        naming the status it kept otherwise. `wait_for_order` returns the last one seen instead."""
        __tracebackhide__ = True
        if not statuses:
            raise TypeError("wait_for_order_status: name at least one status")
        order = self.wait_for_order(order_id, statuses, timeout_s)
        if order["status"] not in statuses:
            wanted = " or ".join(repr(s) for s in statuses)
            raise OrderStatusTimeout(f"order {order_id}: still {order['status']!r} after {timeout_s:g} s (waited for {wanted})")
        return order

    def raw_pay(self, order_id: Any, card: Card | str, idempotency_key: str | None = None, return_url: str | None = None) -> Any:
        """Pay with a catalogue card (or its pm id); anything else is refused before sending."""
        payment_method = self.cards.guard(card.payment_method if isinstance(card, Card) else card)
        if not isinstance(card, Card) and not payment_method.startswith("pm_"):
            payment_method = self.cards[self._key_for_number(payment_method)].payment_method
        body: dict[str, Any] = {"payment_method": payment_method}
        if return_url:
            body["return_url"] = return_url
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self._call("POST", f"/api/orders/{order_id}/pay", json=body, headers=headers, name="/api/orders/[id]/pay")

    def pay(
        self, order_id: Any, card: Card | str, idempotency_key: str | None = None, return_url: str | None = None
    ) -> dict[str, Any]:
        """`{"order", "payment"}` of an accepted payment (succeeded or requires_action)."""
        return expect("pay", self.raw_pay(order_id, card, idempotency_key, return_url))

    def _key_for_number(self, number: str) -> str:
        digits = number.replace(" ", "").replace("-", "")
        return next(key for key, c in self.cards.items() if c.number == digits)

    # -- whole journeys -------------------------------------------------------------------
    def all_products(self, per_page: int = 100) -> list[dict[str, Any]]:
        """Every product of the catalogue, page by page (the one place that pages through it)."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            data = self.list_products(page=page, per_page=per_page)
            found += data["items"]
            if len(found) >= data.get("total", 0) or not data["items"]:
                return found
            page += 1

    def browse(self, per_page: int = 20) -> list[dict[str, Any]]:
        """What a visitor does first: the product list and one product page."""
        items = self.list_products(per_page=per_page)["items"]
        if items:
            self.get_product(items[0]["id"])
        return items

    def fill_cart(self, product_id: int, quantity: int = 1) -> dict[str, Any]:
        """A new cart holding `quantity` of the product. Returns the cart."""
        cart = self.create_cart()
        return self.add_to_cart(cart["id"], product_id, quantity)

    def checkout(self, product_id: int, email: str, quantity: int = 1, address: AddressLike = DEFAULT_ADDRESS) -> dict[str, Any]:
        """Cart → order (pending). Returns the order."""
        cart = self.fill_cart(product_id, quantity)
        return self.create_order(cart["id"], email, address)

    def buy(self, product_id: int, email: str, card: Card | str, quantity: int = 1) -> dict[str, Any]:
        """Cart → order → payment. Returns `{"order", "payment"}` (asserting each step)."""
        order = self.checkout(product_id, email, quantity)
        return self.pay(order["id"], card)


def quote_part(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


__all__ = ["DEFAULT_ADDRESS", "Address", "AddressLike", "FlowError", "OrderStatusTimeout", "Shop", "Transport", "expect"]
