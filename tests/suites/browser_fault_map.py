"""Which browser journeys each browser-visible fault must fail, and why.

`FAILS[fault]` is every journey the fault breaks; `CI_SELECTION[fault]` the narrow subset the
harness's own tests run (the full matrix is `make fault-matrix`). Every other journey of a
selection must pass on the faulty stack, and the whole selection on a healthy one.
`WORDS[fault]` is what the failure message must say, so a red run names the defect.
"""

from __future__ import annotations

CHECKOUT = "suites/checkout/test_guest_checkout.py"
ACCOUNT = "suites/checkout/test_cart_and_account.py"
ADMIN = "suites/admin/test_refunds_in_the_admin.py"

GUEST_BUYS = f"{CHECKOUT}::test_guest_buys_with_the_success_card"
INSUFFICIENT = f"{CHECKOUT}::test_insufficient_funds_shows_its_message_then_another_card_pays"
GENERIC = f"{CHECKOUT}::test_a_generic_decline_shows_its_message"
THREEDS_COMPLETE = f"{CHECKOUT}::test_3ds_complete_reaches_the_confirmation"
THREEDS_FAIL = f"{CHECKOUT}::test_3ds_fail_shows_the_authentication_error_and_keeps_the_cart"
EMAIL = f"{CHECKOUT}::test_the_confirmation_email_reaches_the_mailbox"
CART_EDITS = f"{ACCOUNT}::test_cart_edits_update_the_totals"
OUT_OF_STOCK = f"{ACCOUNT}::test_an_out_of_stock_product_cannot_be_added"
SIGNED_IN = f"{ACCOUNT}::test_a_signed_in_customer_buys_and_sees_the_order_in_the_account"
REFUND = f"{ADMIN}::test_staff_refund_an_order_and_the_customer_sees_it"

PAYING = (GUEST_BUYS, INSUFFICIENT, GENERIC, THREEDS_COMPLETE, THREEDS_FAIL, EMAIL, SIGNED_IN, REFUND)

FAILS: dict[str, tuple[str, ...]] = {
    "pay_button_broken": PAYING,
    "decline_message_wrong": (INSUFFICIENT,),
    "decline_ignored": (INSUFFICIENT, GENERIC),
    "skip_3ds": (THREEDS_COMPLETE, THREEDS_FAIL),
    "wrong_total": (GUEST_BUYS,),
    "refund_not_recorded": (REFUND,),
    "slow_page": PAYING,  # every journey that reaches the checkout page
    "pay_button_unnamed": PAYING,  # axe-core looks at the checkout page of each
    "worker_stalled": (EMAIL,),  # paid orders stay paid (the journeys accept that), no email is sent
}

# Narrow selections for CI: the mapped journeys (or a telling part of them) plus one journey
# the fault must leave green.
CI_SELECTION: dict[str, tuple[str, ...]] = {
    "pay_button_broken": (GUEST_BUYS, CART_EDITS),
    "decline_message_wrong": (INSUFFICIENT, GENERIC),
    "decline_ignored": (INSUFFICIENT, GENERIC, THREEDS_COMPLETE),
    "skip_3ds": (THREEDS_COMPLETE, THREEDS_FAIL, GENERIC),
    "wrong_total": (GUEST_BUYS, GENERIC),
    "refund_not_recorded": (REFUND, OUT_OF_STOCK),
    "worker_stalled": (EMAIL, GENERIC),
    "slow_page": (GUEST_BUYS, CART_EDITS),
    "pay_button_unnamed": (GUEST_BUYS, CART_EDITS),
}

WORDS: dict[str, str] = {
    "pay_button_broken": "orders/*/confirmation",  # the shopper never gets past the pay button
    "decline_message_wrong": "Your card has insufficient funds.",
    "decline_ignored": "declined card",
    "skip_3ds": "3DS card must show the bank's challenge",
    "wrong_total": "charged",
    "refund_not_recorded": "the refund must show in the order's payment history",
    "worker_stalled": "mailbox: 0 of 1 email(s)",
    "slow_page": "page /checkout: TTFB",
    "pay_button_unnamed": "axe rule 'button-name'",
}
