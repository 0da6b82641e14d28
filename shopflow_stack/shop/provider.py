"""The shop's payment provider client: Stripe's official SDK, pointed at the local sandbox.

On staging the same code talks to Stripe in test mode (only the base address and key
differ), so the harness's payment tests mean the same thing in both places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

TIMEOUT_S = 20


class ProviderUnavailable(Exception):
    """The provider did not answer (network, 5xx): nothing is known to be charged."""


class ProviderRefused(Exception):
    """The provider refused a request as invalid (4xx other than a card decline)."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Decline:
    """A card decline, in Stripe's words: error code, decline code, customer-facing message."""

    code: str
    decline_code: str | None
    message: str
    payment_intent: dict[str, Any]


class PaymentProvider:
    def __init__(self, payments_url: str, secret_key: str) -> None:
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": payments_url},
            max_network_retries=0,
            http_client=stripe.HTTPXClient(timeout=TIMEOUT_S, allow_sync_methods=True),
        )

    def charge(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: str,
        return_url: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any] | Decline:
        """Create and confirm a PaymentIntent: the intent (succeeded / requires_action) or a Decline."""
        params: Any = {  # stripe.params.PaymentIntentCreateParams
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "confirm": True,
            "metadata": metadata,
            "payment_method_types": ["card"],
        }
        if return_url:
            params["return_url"] = return_url
        try:
            intent = self.client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.CardError as error:
            body: Any = error.json_body or {}
            details = body.get("error") or {}
            return Decline(
                str(details.get("code") or error.code or "card_declined"),
                details.get("decline_code"),
                str(details.get("message") or error.user_message or ""),
                dict(details.get("payment_intent") or {}),
            )
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise ProviderUnavailable(str(error)) from None
        except stripe.InvalidRequestError as error:
            raise ProviderRefused(error.user_message or str(error), error.code) from None
        except stripe.StripeError as error:
            if (error.http_status or 500) >= 500:
                raise ProviderUnavailable(str(error)) from None
            raise ProviderRefused(error.user_message or str(error), error.code) from None
        return intent.to_dict()

    def refund(self, *, payment_intent: str, amount: int, metadata: dict[str, str], idempotency_key: str) -> dict[str, Any]:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_intent, "amount": amount, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise ProviderUnavailable(str(error)) from None
        except stripe.StripeError as error:
            if (error.http_status or 500) >= 500:
                raise ProviderUnavailable(str(error)) from None
            raise ProviderRefused(error.user_message or str(error), error.code) from None
        return refund.to_dict()
