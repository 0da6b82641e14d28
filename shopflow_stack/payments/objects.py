"""Builders of Stripe's object shapes, and the rule that private fields never leave the sandbox.

Fields starting with `_` (the catalogue card behind a PaymentMethod, a PaymentIntent's
return_url and authentication state) are kept in the store and stripped from every response.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from shopflow_stack.payments.cards import Card, Decline
from shopflow_stack.payments.errors import DOC_URL
from shopflow_stack.payments.ids import new_id


def public(obj: Any) -> Any:
    """A copy of `obj` without private (`_…`) fields, at any depth."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


def payment_method(
    card: Card, exp_month: int, exp_year: int, billing_details: dict | None, metadata: dict | None
) -> dict[str, Any]:
    details = billing_details or {}
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "type": "card",
        "created": int(time.time()),
        "customer": None,
        "livemode": False,
        "metadata": metadata or {},
        "billing_details": {
            "address": {
                k: (details.get("address") or {}).get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")
            },
            "email": details.get("email"),
            "name": details.get("name"),
            "phone": details.get("phone"),
        },
        "card": {
            "brand": card.brand,
            "last4": card.last4,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "funding": "credit",
            "country": "US",
            "fingerprint": f"fp{card.number[-8:]}{card.key[:6]}",
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "unchecked"},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "_card": card.key,
    }


def payment_intent(amount: int, currency: str, params: dict[str, Any]) -> dict[str, Any]:
    pi_id = new_id("pi")
    automatic = params.get("automatic_payment_methods")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "automatic_payment_methods": (
            {"enabled": automatic.get("enabled") == "true", "allow_redirects": automatic.get("allow_redirects", "always")}
            if isinstance(automatic, dict)
            else None
        ),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": params.get("capture_method") or "automatic",
        "client_secret": f"{pi_id}_secret_{secrets.token_urlsafe(18)}",
        "confirmation_method": params.get("confirmation_method") or "automatic",
        "created": int(time.time()),
        "currency": currency,
        "customer": params.get("customer"),
        "description": params.get("description"),
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": params.get("metadata") or {},
        "next_action": None,
        "payment_method": None,
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "receipt_email": params.get("receipt_email"),
        "setup_future_usage": params.get("setup_future_usage"),
        "shipping": params.get("shipping"),
        "statement_descriptor": params.get("statement_descriptor"),
        "status": "requires_payment_method",
        "_return_url": params.get("return_url"),
    }


def charge(pi: dict[str, Any], pm: dict[str, Any], decline: Decline | None) -> dict[str, Any]:
    captured = decline is None and pi["capture_method"] != "manual"
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": pi["amount"],
        "amount_captured": pi["amount"] if captured else 0,
        "amount_refunded": 0,
        "balance_transaction": new_id("txn") if captured else None,
        "captured": captured,
        "created": int(time.time()),
        "currency": pi["currency"],
        "customer": pi.get("customer"),
        "description": pi.get("description"),
        "disputed": False,
        "failure_code": decline.code if decline else None,
        "failure_message": decline.message if decline else None,
        "livemode": False,
        "metadata": pi.get("metadata") or {},
        "outcome": {
            "network_status": "declined_by_network" if decline else "approved_by_network",
            "reason": decline.decline_code if decline else None,
            "risk_level": "normal",
            "seller_message": (
                f"The bank returned the decline code `{decline.decline_code}`." if decline else "Payment complete."
            ),
            "type": "issuer_declined" if decline else "authorized",
        },
        "paid": decline is None,
        "payment_intent": pi["id"],
        "payment_method": pm["id"],
        "payment_method_details": {
            "type": "card",
            "card": {k: pm["card"][k] for k in ("brand", "last4", "exp_month", "exp_year", "funding", "country")},
        },
        "receipt_email": pi.get("receipt_email"),
        "refunded": False,
        "shipping": pi.get("shipping"),
        "status": "failed" if decline else "succeeded",
    }


def card_error_object(decline: Decline, pm: dict[str, Any], charge_id: str | None) -> dict[str, Any]:
    """The error object Stripe puts in a 402 body and in `last_payment_error`."""
    return {
        "type": "card_error",
        "code": decline.code,
        "decline_code": decline.decline_code,
        "message": decline.message,
        "doc_url": DOC_URL + decline.code,
        "charge": charge_id,
        "payment_method": public(pm),
    }


def authentication_failure_object(failure: Decline, pm: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "invalid_request_error",
        "code": failure.code,
        "message": failure.message,
        "doc_url": DOC_URL + failure.code,
        "payment_method": public(pm),
    }


def refund(charge_obj: dict[str, Any], amount: int, reason: str | None, metadata: dict | None) -> dict[str, Any]:
    return {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn"),
        "charge": charge_obj["id"],
        "created": int(time.time()),
        "currency": charge_obj["currency"],
        "metadata": metadata or {},
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "status": "succeeded",
    }


def listing(url: str, data: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
