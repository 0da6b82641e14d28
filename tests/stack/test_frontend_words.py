"""The storefront's and admin's pure helpers: prices, refund amounts, decline words, faults."""

from __future__ import annotations

import pytest

from shopflow_stack.faults import parse_faults
from shopflow_stack.frontend.rendering import money, parse_money
from shopflow_stack.web.payment_messages import GENERIC_DECLINE, INSUFFICIENT_FUNDS, decline_message


@pytest.mark.parametrize(
    ("minor", "text"), [(0, "$0.00"), (5, "$0.05"), (1999, "$19.99"), (123456, "$1,234.56"), (-100, "-$1.00")]
)
def test_money_reads_as_a_price(minor: int, text: str) -> None:
    assert money(minor) == text


@pytest.mark.parametrize(("text", "minor"), [("12.34", 1234), ("12", 1200), ("$0.5", 50), (" 1,000.00 ", 100000), ("", None)])
def test_refund_amounts_parse_to_minor_units(text: str, minor: int | None) -> None:
    assert parse_money(text) == minor


@pytest.mark.parametrize("text", ["abc", "1.234", "-5", "0", "1.2.3", "12,5x"])
def test_bad_refund_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_money(text)


def test_decline_words_come_from_the_api_then_from_the_codes() -> None:
    healthy = parse_faults("")
    assert decline_message("card_declined", "insufficient_funds", INSUFFICIENT_FUNDS, healthy) == INSUFFICIENT_FUNDS
    assert decline_message("card_declined", "insufficient_funds", None, healthy) == INSUFFICIENT_FUNDS
    assert decline_message("expired_card", "expired_card", None, healthy) == "Your card has expired."
    assert decline_message("card_declined", "something_new", None, healthy) == GENERIC_DECLINE


def test_decline_message_wrong_turns_insufficient_funds_into_the_generic_decline() -> None:
    faulty = parse_faults("decline_message_wrong")
    assert decline_message("card_declined", "insufficient_funds", INSUFFICIENT_FUNDS, faulty) == GENERIC_DECLINE
    assert decline_message("expired_card", "expired_card", "Your card has expired.", faulty) == "Your card has expired."
