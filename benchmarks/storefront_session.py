"""A shopper's session over plain HTTP against a running stack, shared by the page-time
benchmark and the screenshot script: start a named stack, fill a cart, pay an order.

Cards come from data/cards.toml only; the card is turned into a payment method by the
sandbox's publishable-key endpoint, as its hosted fields do.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from shopflow_qa.core.environment import load_environments
from shopflow_stack import runner
from shopflow_stack.payments.keys import publishable_key_for

REPO_ROOT = Path(__file__).resolve().parents[1]
CARDS = tomllib.loads((REPO_ROOT / "data" / "cards.toml").read_text())["cards"]
SECRETS = load_environments()["local"].default_secrets
PUBLISHABLE_KEY = publishable_key_for("sk_test_local_sandbox")  # the documented local default's pair
ADDRESS = {"name": "Bench Shopper", "line1": "1 Test Street", "city": "Springfield", "postal_code": "12345", "country": "US"}


@contextlib.contextmanager
def fresh_stack(prefix: str) -> Iterator[dict[str, str]]:
    """A seeded stack of its own (stopped afterwards), so figures never depend on leftovers."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    state, _ = runner.up(name)
    try:
        if (
            httpx.get(f"{state.urls['api']}/api/products", headers={"Authorization": f"Bearer {SECRETS['token']}"}).status_code
            == 404
        ):
            raise SystemExit("the stack's API does not serve /api/products yet: nothing to measure")
        yield state.urls
    finally:
        runner.down(name)


def payment_method(urls: dict[str, str], card_key: str = "visa") -> str:
    card = CARDS[card_key]
    response = httpx.post(
        f"{urls['payments']}/v1/payment_methods",
        auth=(PUBLISHABLE_KEY, ""),
        data={
            "type": "card",
            "card[number]": card["number"],
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    response.raise_for_status()
    return response.json()["id"]


def first_product(urls: dict[str, str]) -> dict[str, Any]:
    items = httpx.get(
        f"{urls['api']}/api/products", params={"per_page": 100}, headers={"Authorization": f"Bearer {SECRETS['token']}"}
    ).json()["items"]
    return next(p for p in items if p["stock"] >= 20)


def with_csrf_token(client: httpx.Client, page: str) -> httpx.Client:
    """Open `page` (a session and its CSRF token) and send the token with every later request,
    as the checkout script does (X-CSRF-Token); the storefront and admin refuse posts without it."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(page).text)
    if not found:
        raise RuntimeError(f"no CSRF token on {client.base_url}{page}")
    client.headers["X-CSRF-Token"] = found.group(1)
    return client


def shopper_with_cart(urls: dict[str, str]) -> tuple[httpx.Client, dict[str, Any]]:
    """A storefront session (cookies kept) with one product in its cart."""
    client = with_csrf_token(httpx.Client(base_url=urls["web"], timeout=30, follow_redirects=True), "/")
    product = first_product(urls)
    client.post(
        "/cart/lines", data={"product_id": str(product["id"]), "quantity": "1", "slug": product["slug"]}
    ).raise_for_status()
    return client, product


def pay_cart(client: httpx.Client, urls: dict[str, str], email: str) -> dict[str, Any]:
    """Check the session's cart out with the success card; returns the page's pay answer."""
    body = {"email": email, **ADDRESS, "shipping_method": "standard", "payment_method": payment_method(urls)}
    answer = client.post("/checkout/api/pay", json=body).json()
    if answer.get("outcome") != "succeeded":
        raise RuntimeError(f"payment did not succeed: {answer}")
    return answer


def signed_in_staff(urls: dict[str, str]) -> httpx.Client:
    client = with_csrf_token(httpx.Client(base_url=urls["admin"], timeout=30, follow_redirects=True), "/sign-in")
    client.post("/sign-in", data={"email": SECRETS["admin_user"], "password": SECRETS["admin_password"]}).raise_for_status()
    return client
