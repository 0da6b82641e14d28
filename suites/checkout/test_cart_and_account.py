"""Cart edits and stock in the browser; a signed-in customer buys and sees the order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from shopflow_qa.fixtures.pages.storefront import AccountPage, CartPage, ProductPage

pytestmark = pytest.mark.checkout
SETTLED = re.compile(r"^(paid|fulfilled)$")  # the worker fulfils a paid order moments later


def _money(minor: int) -> str:
    return f"${minor / 100:,.2f}"


def test_cart_edits_update_the_totals(page: Page, catalogue) -> None:
    product = catalogue.in_stock
    cart: CartPage = ProductPage(page).open(product).add_to_cart(1)
    expect(cart.subtotal).to_have_text(_money(product["price"]))
    cart.set_quantity(product, 3)
    expect(cart.subtotal).to_have_text(_money(3 * product["price"]))
    tax = (3 * product["price"] * 8 + 50) // 100
    expect(cart.tax).to_have_text(_money(tax))
    cart.remove(product)
    expect(cart.empty).to_be_visible()


def test_an_out_of_stock_product_cannot_be_added(page: Page, catalogue) -> None:
    product_page = ProductPage(page).open(catalogue.out_of_stock)
    expect(product_page.stock_state).to_have_attribute("data-in-stock", "false")
    expect(product_page.add_button).to_be_disabled()


def test_a_signed_in_customer_buys_and_sees_the_order_in_the_account(
    signed_in_page: Page, signed_in_customer, checkout_with, cards, api
) -> None:
    checkout = checkout_with(signed_in_page, None)  # the email comes from the account
    checkout.pay(cards.success, cards)
    confirmation = checkout.wait_for_confirmation()
    number = confirmation.number.inner_text()
    order = api.wait_for_order(confirmation.order_id(), ("paid", "fulfilled"))
    assert order["email"] == signed_in_customer.email.lower()
    account = AccountPage(signed_in_page).open()
    expect(account.email).to_contain_text(signed_in_customer.email)
    expect(account.order(number)).to_be_visible()
    expect(account.order_status(number)).to_have_attribute("data-status", SETTLED)
