"""Shared by the suites: the one place browser waits are set, and the checkout steps journeys share.

Suites use only the plugin's fixtures (fixtures/README.md) and page objects (shopflow_qa/fixtures/pages/);
they never import stack/, so they run unchanged against staging."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from shopflow_qa.fixtures.pages import TIMEOUT_MS
from shopflow_qa.fixtures.pages.storefront import CartPage, CheckoutPage, ProductPage


@pytest.fixture(autouse=True)
def _browser_timeouts(request: pytest.FixtureRequest) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    for name in ("page", "signed_in_page"):
        if name in request.fixturenames:
            request.getfixturevalue(name).set_default_timeout(TIMEOUT_MS)


@pytest.fixture
def guest_email(shopflow_run_id: str) -> str:
    """A unique address per test: the mailbox and the admin search find exactly this test's order."""
    return f"guest-{uuid.uuid4().hex[:10]}@example.test"


@pytest.fixture
def checkout_with(catalogue: Any) -> Callable[..., CheckoutPage]:
    """Put the in-stock product in `page`'s cart and open the checkout with the details filled."""

    def open_checkout(page: Page, email: str | None, quantity: int = 1) -> CheckoutPage:
        cart: CartPage = ProductPage(page).open(catalogue.in_stock).add_to_cart(quantity)
        checkout = cart.go_to_checkout()
        checkout.fill_details(email)
        return checkout

    return open_checkout
