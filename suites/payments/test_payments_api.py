"""Payments through the API and the provider: every test card, 3DS, idempotency, refunds,
webhook-driven status, the amount charged, the confirmation email.

3DS is answered the way a cardholder does: the provider's challenge page (the payment's
`next_action.redirect_url`) opened in a browser, a button pressed — Stripe's test page on
staging, the sandbox's on a local stack, the same page object for both."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page

from shopflow_qa.core.cards import default_catalogue
from shopflow_qa.fixtures.pages.provider import ChallengePage

pytestmark = pytest.mark.payments
SETTLED = ("paid", "fulfilled")
CARDS = default_catalogue()


def _email() -> str:
    return f"payments-{uuid.uuid4().hex[:10]}@example.test"


def _answer_challenge(page: Page, payment: dict, complete: bool) -> None:
    """What the cardholder does: open the provider's 3DS page and press a button."""
    challenge = ChallengePage(page).open(payment["next_action"]["redirect_url"])
    if complete:
        challenge.complete()
    else:
        challenge.fail()


@pytest.mark.parametrize("key", [k for k, c in CARDS.items() if not c.three_d_secure])
def test_each_card_has_its_outcome_and_decline_code(api, catalogue, cards, key: str) -> None:
    card = cards[key]
    order = api.checkout(catalogue.in_stock["id"], _email())
    response = api.raw_pay(order["id"], card)
    if card.outcome == "declined":
        assert response.status_code == 402, (
            f"{card.name}: a declined card was accepted (HTTP {response.status_code}); the order must not be paid"
        )
        error = response.json()["error"]
        assert (error["code"], error.get("decline_code")) == (card.code, card.decline_code)
        assert error["message"] == card.message
        assert api.wait_for_order(order["id"], ("payment_failed",))["status"] == "payment_failed"
    else:
        assert response.status_code == 200, f"{card.name}: {response.status_code} {response.text[:200]}"
        assert api.wait_for_order(order["id"], SETTLED)["status"] in SETTLED


@pytest.mark.parametrize("key", [k for k, c in CARDS.items() if c.three_d_secure])
def test_3ds_cards_wait_for_the_challenge_then_follow_it(api, catalogue, cards, page: Page, key: str) -> None:
    card = cards[key]
    order = api.checkout(catalogue.in_stock["id"], _email())
    payment = api.pay(order["id"], card)["payment"]
    assert payment["status"] == "requires_action", (
        f"{card.name} was charged without 3DS authentication (payment {payment['status']})"
    )
    assert payment["next_action"]["redirect_url"]
    assert api.get_order(order["id"])["status"] == "requires_action", "the order must wait for the webhook"
    _answer_challenge(page, payment, complete=True)
    expected = SETTLED if card.after_authentication == "succeeded" else ("payment_failed",)
    status = api.wait_for_order(order["id"], expected)["status"]
    assert status in expected, (
        f"{card.name}: after the completed challenge the order is {status}, not "
        f"{' or '.join(expected)}: the provider's outcome was not followed"
    )


def test_a_failed_challenge_fails_the_payment(api, catalogue, cards, page: Page) -> None:
    order = api.checkout(catalogue.in_stock["id"], _email())
    payment = api.pay(order["id"], cards.requiring_3ds)["payment"]
    assert payment["status"] == "requires_action", (
        f"a 3DS card was charged without 3DS authentication (payment {payment['status']})"
    )
    _answer_challenge(page, payment, complete=False)
    status = api.wait_for_order(order["id"], ("payment_failed",))["status"]
    assert status == "payment_failed", f"after a failed 3DS challenge the order is {status}, not payment_failed"


def test_the_amount_charged_is_the_order_total(api, catalogue, cards) -> None:
    order = api.checkout(catalogue.in_stock["id"], _email())
    payment = api.pay(order["id"], cards.success)["payment"]
    settled = api.wait_for_order(order["id"], SETTLED)
    assert payment["amount"] == order["total"] and settled["paid_amount"] == order["total"], (
        f"charged {payment['amount']} (paid {settled['paid_amount']}) for an order total of {order['total']}"
    )


def test_the_same_idempotency_key_replays_and_charges_once(api, catalogue, cards) -> None:
    order = api.checkout(catalogue.in_stock["id"], _email())
    key = uuid.uuid4().hex
    first, again = api.raw_pay(order["id"], cards.success, key), api.raw_pay(order["id"], cards.success, key)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert len(api.wait_for_order(order["id"], SETTLED)["payments"]) == 1


@pytest.mark.needs("admin_api")
def test_refunds_partial_full_and_over_refund(api, admin_api, catalogue, cards) -> None:
    order = api.buy(catalogue.in_stock["id"], _email(), cards.success)["order"]
    captured = api.wait_for_order(order["id"], SETTLED)["paid_amount"]  # what refunds are bounded by
    part = admin_api.refund(order["id"], amount=100, reason="requested_by_customer")
    assert part["order"]["refunded_amount"] == 100, (
        f"the refund is not recorded on the order (refunded {part['order']['refunded_amount']})"
    )
    over = admin_api.raw_refund(order["id"], amount=captured - 100 + 1, reason="requested_by_customer")
    assert over.status_code == 409 and over.json()["error"]["code"] == "refund_exceeds_captured", (
        f"a refund above what was captured was accepted (HTTP {over.status_code})"
    )
    rest = admin_api.refund(order["id"], amount=None, reason="requested_by_customer")
    assert (rest["order"]["refunded_amount"], rest["order"]["status"]) == (captured, "refunded"), (
        f"refunding the rest left {rest['order']['refunded_amount']} of {captured} refunded ({rest['order']['status']})"
    )


@pytest.mark.needs("mailbox")
def test_the_confirmation_email_arrives_exactly_once(api, catalogue, cards, mailbox) -> None:
    email = _email()
    order = api.buy(catalogue.in_stock["id"], email, cards.success)["order"]
    messages = mailbox.wait_for(email)
    assert [m["order_number"] for m in messages] == [order["number"]]
    assert api.wait_for_order(order["id"], ("fulfilled",))["status"] == "fulfilled", (
        "a paid order was not fulfilled by the worker"
    )
