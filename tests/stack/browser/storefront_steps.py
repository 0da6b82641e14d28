"""Steps the storefront's browser tests share, so each test reads as the journey it proves.

Not page objects for the harness's suites (those live in shopflow_qa/fixtures/pages/); just enough for the
stack's own proof that its pages work.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from shopflow_qa.core.environment import load_environments

REPO_ROOT = Path(__file__).resolve().parents[3]
CARDS = tomllib.loads((REPO_ROOT / "data" / "cards.toml").read_text())
EXPIRY = "12 / 34"
ADDRESS = {"name": "Ada Tester", "line1": "1 Test Street", "city": "Springfield", "postal-code": "12345"}
ADMIN = load_environments()["local"].default_secrets


@dataclass(frozen=True)
class Shop:
    """A running stack as the browser tests see it: its hosts and an admin API client."""

    web: str
    admin: str
    api: httpx.Client

    def order(self, order_id: str) -> dict[str, Any]:
        response = self.api.get(f"/api/admin/orders/{order_id}")
        response.raise_for_status()
        return response.json()

    def orders_for(self, email: str) -> list[dict[str, Any]]:
        response = self.api.get("/api/admin/orders", params={"q": email})
        response.raise_for_status()
        return response.json()["items"]

    def in_stock_product(self) -> dict[str, Any]:
        items = self.api.get("/api/products", params={"per_page": 100}).json()["items"]
        return next(p for p in items if p["stock"] >= 20)


def make_shop(urls: dict[str, str]) -> Shop:
    client = httpx.Client(base_url=urls["api"], timeout=15, headers={"Authorization": f"Bearer {ADMIN['admin_token']}"})
    return Shop(urls["web"], urls["admin"], client)


def card_number(key: str) -> str:
    return CARDS["cards"][key]["number"]


def card_message(key: str) -> str:
    return CARDS["cards"][key]["message"]


def add_to_cart(page: Page, shop: Shop, product: dict[str, Any], quantity: int = 1) -> None:
    page.goto(f"{shop.web}/products/{product['slug']}")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(1)


def fill_checkout(page: Page, shop: Shop, email: str | None) -> None:
    page.goto(f"{shop.web}/checkout")
    if email:
        page.get_by_label("Email").fill(email)
    for testid, value in ADDRESS.items():
        page.get_by_test_id(testid).fill(value)


def pay_with(page: Page, card_key: str) -> None:
    """Type a catalogue card into the hosted fields and press Pay."""
    card = page.frame_locator("[data-testid=card-frame]")
    card.get_by_test_id("card-number").fill(card_number(card_key))
    card.get_by_test_id("card-expiry").fill(EXPIRY)
    card.get_by_test_id("card-cvc").fill("123")
    page.get_by_test_id("pay-button").click()


def answer_challenge(page: Page, complete: bool) -> None:
    expect(page.get_by_test_id("challenge-modal")).to_be_visible()
    challenge = page.frame_locator("[data-testid=challenge-frame]")
    challenge.get_by_role("button", name="Complete authentication" if complete else "Fail authentication").click()


def sign_in_staff(page: Page, shop: Shop) -> None:
    page.goto(f"{shop.admin}/sign-in")
    page.get_by_label("Email").fill(ADMIN["admin_user"])
    page.get_by_label("Password").fill(ADMIN["admin_password"])
    page.get_by_test_id("sign-in-submit").click()
