"""A small HTTP client for the stack's own API tests: real requests to a running stack.

Deliberately not the harness's shopflow_qa/core/api.py: these tests prove the stack against
docs/api.md, independent of the client code the harness ships.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

SERVICE = "local-service-token"
ADMIN = "local-admin-token"
ADDRESS = {"name": "Ada Tester", "line1": "1 Test Street", "city": "Springfield", "postal_code": "12345", "country": "US"}


class CoreApi:
    def __init__(self, api_url: str, token: str = SERVICE, tag: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        if tag:
            headers["X-ShopFlow-Test-Run"] = tag
        self.http = httpx.Client(base_url=api_url, headers=headers, timeout=30)
        self.api_url = api_url
        self.tag = tag

    def as_token(self, token: str) -> CoreApi:
        return CoreApi(self.api_url, token, self.tag)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, (
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:300]}"
        )
        return response.json() if response.content else None

    def product_with_stock(self, at_least: int) -> dict[str, Any]:
        items = self.ok(self.http.get("/api/products", params={"per_page": 100}))["items"]
        return next(p for p in items if p["stock"] >= at_least)

    def cart_with(self, product_id: int, quantity: int = 1) -> dict[str, Any]:
        cart = self.ok(self.http.post("/api/carts"), 201)
        return self.ok(
            self.http.post(f"/api/carts/{cart['id']}/lines", json={"product_id": product_id, "quantity": quantity}), 201
        )

    def order(self, cart_id: str, email: str = "shopper@example.test", **headers: str) -> httpx.Response:
        return self.http.post(
            "/api/orders", json={"cart_id": cart_id, "email": email, "shipping_address": ADDRESS}, headers=headers
        )

    def sign_up(self) -> tuple[dict[str, Any], str]:
        email = f"c-{uuid.uuid4().hex[:10]}@example.test"
        body = self.ok(
            self.http.post("/api/customers", json={"email": email, "password": "correct-horse-9", "name": "Casey Core"}), 201
        )
        return body["customer"], body["token"]


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def wait_until(probe, timeout_s: float = 30.0, interval_s: float = 0.1):
    """Poll `probe()` until it returns something truthy (webhooks and the worker are async)."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


class ShopperWithCards(CoreApi):
    """CoreApi plus paying: an order for one product, paid with a payment method id."""

    def placed_order(self, email: str, quantity: int = 1) -> dict[str, Any]:
        product = self.product_with_stock(quantity + 5)
        return self.ok(self.order(self.cart_with(product["id"], quantity)["id"], email), 201)

    def pay(self, order_id: int, payment_method: str, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.http.post(f"/api/orders/{order_id}/pay", json={"payment_method": payment_method}, headers=headers)

    def order_status(self, order_id: int) -> str:
        return self.ok(self.http.get(f"/api/orders/{order_id}"))["status"]

    def settles(self, order_id: int, statuses: tuple[str, ...]) -> dict[str, Any]:
        """The order once its status is one of `statuses` (or as it is after the wait)."""
        found = wait_until(lambda: (o := self.ok(self.http.get(f"/api/orders/{order_id}")))["status"] in statuses and o)
        return found or self.ok(self.http.get(f"/api/orders/{order_id}"))
