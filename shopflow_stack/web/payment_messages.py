"""The words a customer reads when a payment does not go through.

Decline texts follow Stripe's customer-facing messages, so a tester sees on the local stack
what they would see on staging. The `decline_message_wrong` fault swaps the
insufficient-funds text for the generic decline text, a realistic copy bug the browser
suites must catch.
"""

from __future__ import annotations

from shopflow_stack.faults import Faults

GENERIC_DECLINE = "Your card was declined."
INSUFFICIENT_FUNDS = "Your card has insufficient funds."
AUTHENTICATION_FAILED = (  # Stripe's words for payment_intent_authentication_failure
    "We are unable to authenticate your payment method. Please choose a different payment method and try again."
)

DECLINE_MESSAGES = {
    "insufficient_funds": INSUFFICIENT_FUNDS,
    "generic_decline": GENERIC_DECLINE,
    "card_declined": GENERIC_DECLINE,
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": AUTHENTICATION_FAILED,
    "payment_intent_authentication_failure": AUTHENTICATION_FAILED,
}


def decline_message(code: str | None, decline_code: str | None, api_message: str | None, faults: Faults) -> str:
    """The sentence for a declined payment: the API's own words, else ours for its codes."""
    key = decline_code if decline_code in DECLINE_MESSAGES else code
    message = api_message or DECLINE_MESSAGES.get(key or "") or GENERIC_DECLINE
    if "decline_message_wrong" in faults and message == INSUFFICIENT_FUNDS:
        return GENERIC_DECLINE
    return message
