"""Guest checkout in a real browser: success, a decline and a retry, 3DS pass and fail."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.stack.browser.storefront_steps import CARDS, Shop, add_to_cart, answer_challenge, card_message, fill_checkout, pay_with


def _email() -> str:
    return f"guest-{uuid.uuid4().hex[:8]}@example.com"


def test_guest_buys_with_visa_and_sees_the_order_number_the_api_reports(page: Page, shop: Shop) -> None:
    email = _email()
    # Step 1 — the home page features products; one goes into the cart.
    page.goto(shop.web)
    expect(page.get_by_test_id("featured-products").get_by_test_id("product-card").first).to_be_visible()
    add_to_cart(page, shop, shop.in_stock_product(), quantity=2)
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    # Step 2 — checkout as a guest with the success card.
    fill_checkout(page, shop, email)
    pay_with(page, "visa")
    # Step 3 — the confirmation shows what the API has for this order.
    confirmation = page.get_by_test_id("order-confirmation")
    expect(confirmation).to_be_visible()
    order = shop.order(confirmation.get_attribute("data-order-id"))
    expect(page.get_by_test_id("order-number")).to_have_text(order["number"])
    expect(page.get_by_test_id("order-total")).to_have_text(f"${order['total'] / 100:,.2f}")
    assert order["email"] == email
    assert order["status"] in ("paid", "fulfilled")
    expect(page.get_by_test_id("cart-count")).to_have_text("0")


def test_insufficient_funds_is_shown_and_another_card_pays_the_same_order(page: Page, shop: Shop) -> None:
    email = _email()
    add_to_cart(page, shop, shop.in_stock_product())
    fill_checkout(page, shop, email)
    # Step 1 — the 9995 card is declined in words the customer can act on.
    pay_with(page, "insufficient_funds")
    expect(page.get_by_test_id("payment-error")).to_have_text(card_message("insufficient_funds"))
    expect(page.get_by_test_id("cart-count")).to_have_text("1")
    # Step 2 — the same cart and order, paid with the success card.
    pay_with(page, "visa")
    expect(page.get_by_test_id("order-confirmation")).to_be_visible()
    orders = shop.orders_for(email)
    assert len(orders) == 1, f"a retry must pay the same order, found {[o['number'] for o in orders]}"
    expect(page.get_by_test_id("order-number")).to_have_text(orders[0]["number"])
    statuses = [p["status"] for p in shop.order(orders[0]["id"])["payments"]]
    assert "failed" in statuses and "succeeded" in statuses, statuses


def test_3ds_card_fails_authentication_then_passes_it(page: Page, shop: Shop) -> None:
    email = _email()
    add_to_cart(page, shop, shop.in_stock_product())
    fill_checkout(page, shop, email)
    # Step 1 — the bank's challenge appears in a modal; failing it shows the authentication error.
    pay_with(page, "threeds_required")
    answer_challenge(page, complete=False)
    expect(page.get_by_test_id("challenge-modal")).to_be_hidden()
    expect(page.get_by_test_id("payment-error")).to_have_text(CARDS["authentication_failure"]["message"])
    # Step 2 — trying again and completing the challenge leads to the confirmation.
    pay_with(page, "threeds_required")
    answer_challenge(page, complete=True)
    expect(page.get_by_test_id("order-confirmation")).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", re.compile("paid|fulfilled"))
    order = shop.order(page.get_by_test_id("order-confirmation").get_attribute("data-order-id"))
    assert order["email"] == email and order["status"] in ("paid", "fulfilled")
