"""Stripe-shaped API errors: `{"error": {"type", "code", "message", "param", …}}` with its status.

Raised anywhere in the sandbox and turned into a response by the app, so every failure has
the shape the `stripe` SDK parses into its own exception classes (CardError on 402, …).
"""

from __future__ import annotations

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error response: HTTP status plus the `error` object."""

    def __init__(self, status: int, error: dict[str, Any]):
        super().__init__(error.get("message", ""))
        self.status = status
        self.error = {k: v for k, v in error.items() if v is not None}

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def invalid_request(message: str, *, param: str | None = None, code: str | None = None, status: int = 400) -> StripeError:
    return StripeError(
        status,
        {
            "type": "invalid_request_error",
            "message": message,
            "param": param,
            "code": code,
            "doc_url": DOC_URL + code if code else None,
        },
    )


def missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return invalid_request(f"No such {kind}: '{object_id}'", param=param, code="resource_missing", status=404)


def unexpected_state(message: str) -> StripeError:
    return invalid_request(message, code="payment_intent_unexpected_state")


def authentication(message: str) -> StripeError:
    return StripeError(401, {"type": "invalid_request_error", "message": message})


def card_error(
    code: str, message: str, *, decline_code: str | None = None, param: str | None = None, **extra: Any
) -> StripeError:
    """A 402 card_error; `extra` carries `charge`, `payment_intent`, `payment_method` like Stripe."""
    return StripeError(
        402,
        {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "param": param,
            "doc_url": DOC_URL + code,
            **extra,
        },
    )


def idempotency(message: str) -> StripeError:
    return StripeError(400, {"type": "idempotency_error", "message": message})
