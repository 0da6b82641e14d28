"""A guest buys: success, declines with their words and a retry, 3DS, the confirmation email."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from shopflow_qa.core import invariants
from shopflow_qa.fixtures.pages.storefront import CartPage, CheckoutPage

pytestmark = pytest.mark.checkout


def _money(minor: int) -> str:
    return f"${minor / 100:,.2f}"


def test_guest_buys_with_the_success_card(page: Page, checkout_with, cards, api, guest_email: str, shopflow_env) -> None:
    checkout: CheckoutPage = checkout_with(page, guest_email)
    checkout.pay(cards.success, cards)
    confirmation = checkout.wait_for_confirmation()
    order = api.get_order(confirmation.order_id())
    expect(confirmation.number).to_have_text(order["number"])
    expect(confirmation.total).to_have_text(_money(order["total"]))
    settled = api.wait_for_order(order["id"], ("paid", "fulfilled"))
    assert settled["paid_amount"] == settled["total"], (
        f"charged {settled['paid_amount']} for an order of {settled['total']} (the payment's amount is not the order total)"
    )
    invariants.require(invariants.check_order(shopflow_env.currency, settled))  # what the journey left, read through the API


def test_insufficient_funds_shows_its_message_then_another_card_pays(
    page: Page, checkout_with, cards, api, guest_email: str
) -> None:
    declined = cards["insufficient_funds"]
    checkout = checkout_with(page, guest_email)
    checkout.pay(declined, cards)
    expect(checkout.error, "a declined card must say why, in the card network's words").to_have_text(declined.message)
    assert "/confirmation" not in page.url, "a declined card reached the order confirmation"
    checkout.pay(cards.success, cards)
    confirmation = checkout.wait_for_confirmation()
    order = api.wait_for_order(confirmation.order_id(), ("paid", "fulfilled"))
    assert [p["status"] for p in order["payments"]] == ["failed", "succeeded"]


def test_a_generic_decline_shows_its_message(page: Page, checkout_with, cards, api, guest_email: str) -> None:
    declined = cards["generic_decline"]
    checkout = checkout_with(page, guest_email)
    checkout.pay(declined, cards)
    expect(checkout.error, "a declined card must say it was declined").to_have_text(declined.message)
    assert "/confirmation" not in page.url, "a declined card reached the order confirmation"


def test_3ds_complete_reaches_the_confirmation(page: Page, checkout_with, cards, api, guest_email: str) -> None:
    checkout = checkout_with(page, guest_email)
    checkout.pay(cards["threeds2_required"], cards)
    expect(checkout.challenge.dialog, "a 3DS card must show the bank's challenge").to_be_visible()
    checkout.challenge.complete()
    confirmation = checkout.wait_for_confirmation()
    assert api.wait_for_order(confirmation.order_id(), ("paid", "fulfilled"))["status"] in ("paid", "fulfilled")


def test_3ds_fail_shows_the_authentication_error_and_keeps_the_cart(
    page: Page, checkout_with, cards, catalogue, guest_email: str
) -> None:
    checkout = checkout_with(page, guest_email)
    checkout.pay(cards["threeds2_required"], cards)
    expect(checkout.challenge.dialog, "a 3DS card must show the bank's challenge").to_be_visible()
    checkout.challenge.fail()
    expect(checkout.error).to_have_text(cards.authentication_failure["message"])
    expect(checkout.challenge.dialog).to_be_hidden()
    assert "/confirmation" not in page.url, "a failed 3DS challenge reached the order confirmation"
    cart = CartPage(page).open()
    expect(cart.line(catalogue.in_stock), "a failed 3DS challenge must keep the cart").to_be_visible()


@pytest.mark.needs("mailbox")
def test_the_confirmation_email_reaches_the_mailbox(page: Page, checkout_with, cards, mailbox, guest_email: str) -> None:
    checkout = checkout_with(page, guest_email)
    checkout.pay(cards.success, cards)
    confirmation = checkout.wait_for_confirmation()
    number = confirmation.number.inner_text()
    [email] = mailbox.wait_for(guest_email)
    assert email["order_number"] == number
