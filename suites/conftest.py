"""Shared by the suites: the one place browser waits are set, and the checkout steps journeys share.

Suites use only the plugin's fixtures (fixtures/README.md) and page objects (shopflow_qa/fixtures/pages/);
they never import stack/, so they run unchanged against staging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from shopflow_qa.fixtures.pages.storefront import CartPage, CheckoutPage, ProductPage


@pytest.fixture(autouse=True)
def _browser_timeouts(shopflow_browser_timeouts: int) -> int:
    """Every suite test waits as long as the page objects expect (the plugin's TIMEOUT_MS)."""
    return shopflow_browser_timeouts


@pytest.fixture
def checkout_with(catalogue: Any) -> Callable[..., CheckoutPage]:
    """Put the in-stock product in `page`'s cart and open the checkout with the details filled."""

    def open_checkout(page: Page, email: str | None, quantity: int = 1) -> CheckoutPage:
        cart: CartPage = ProductPage(page).open(catalogue.in_stock).add_to_cart(quantity)
        checkout = cart.go_to_checkout()
        checkout.fill_details(email)
        return checkout

    return open_checkout
