"""The storefront's own fault switches change what a shopper sees (so the suites can catch them)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from shopflow_stack.web.payment_messages import GENERIC_DECLINE
from tests.stack.browser.storefront_steps import Shop, add_to_cart, card_message, fill_checkout, make_shop, pay_with


@pytest.fixture(scope="module")
def broken_shop(stack_factory, request: pytest.FixtureRequest) -> Shop:
    """A stack whose pay button does nothing."""
    return _started(stack_factory, "pay_button_broken", request)


def _started(stack_factory, fault: str, request: pytest.FixtureRequest) -> Shop:
    return make_shop(stack_factory("sqlite", faults=(fault,), until=request).urls)


def test_pay_button_broken_leaves_the_shopper_on_checkout_with_no_order_paid(page: Page, broken_shop: Shop) -> None:
    email = f"fault-{uuid.uuid4().hex[:8]}@example.com"
    add_to_cart(page, broken_shop, broken_shop.in_stock_product())
    fill_checkout(page, broken_shop, email)
    pay_with(page, "visa")
    page.wait_for_timeout(1500)  # give a working button time to act: nothing may happen
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    expect(page.get_by_test_id("payment-status")).to_have_text("")
    assert page.url.endswith("/checkout")
    assert broken_shop.orders_for(email) == []


def test_decline_message_wrong_shows_the_generic_decline_for_insufficient_funds(
    page: Page, stack_factory, request: pytest.FixtureRequest
) -> None:
    shop = _started(stack_factory, "decline_message_wrong", request)
    add_to_cart(page, shop, shop.in_stock_product())
    fill_checkout(page, shop, f"fault-{uuid.uuid4().hex[:8]}@example.com")
    pay_with(page, "insufficient_funds")
    expect(page.get_by_test_id("payment-error")).to_have_text(GENERIC_DECLINE)
    assert GENERIC_DECLINE != card_message("insufficient_funds")
