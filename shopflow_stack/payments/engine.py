"""What the sandbox does with a request: Stripe's rules for PaymentMethods, PaymentIntents,
3DS authentication, charges and refunds, over the catalogue of test cards.

Every method takes decoded form params and returns a Stripe object (with private fields,
stripped by the app), or raises StripeError. A decline is committed first (the failed charge,
the PaymentIntent's `last_payment_error`, the webhook) and raised after, as Stripe records a
declined attempt and answers 402.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from shopflow_stack.payments import objects
from shopflow_stack.payments.cards import Card, Catalogue, Decline, luhn_valid
from shopflow_stack.payments.errors import StripeError, card_error, invalid_request, missing, unexpected_state
from shopflow_stack.payments.forms import as_bool, as_dict, as_int, as_list, as_str, reject_unknown
from shopflow_stack.payments.ids import new_id
from shopflow_stack.payments.store import Store
from shopflow_stack.payments.webhooks import Webhooks
from shopflow_stack.security.origins import is_on

LIVE_CARD_MESSAGE = (
    "Your card was declined. Your request was in test mode, but used a non test (live) card. "
    "For a list of valid test cards, visit: https://stripe.com/docs/testing."
)
PI_CREATE_PARAMS = frozenset(
    {
        "amount",
        "currency",
        "payment_method",
        "confirm",
        "description",
        "receipt_email",
        "shipping",
        "return_url",
        "metadata",
        "automatic_payment_methods",
        "capture_method",
        "payment_method_types",
        "customer",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "setup_future_usage",
        "off_session",
        "error_on_requires_action",
        "confirmation_method",
        "expand",
        "use_stripe_sdk",
        "payment_method_options",
    }
)
PI_CONFIRM_PARAMS = frozenset(
    {
        "payment_method",
        "return_url",
        "receipt_email",
        "shipping",
        "setup_future_usage",
        "off_session",
        "error_on_requires_action",
        "expand",
        "use_stripe_sdk",
        "payment_method_options",
        "capture_method",
        "payment_method_types",
    }
)
PM_CREATE_PARAMS = frozenset({"type", "card", "billing_details", "metadata", "expand"})
REFUND_PARAMS = frozenset({"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


class Sandbox:
    def __init__(self, store: Store, catalogue: Catalogue, webhooks: Webhooks, payments_url: str, shop_origins: tuple[str, ...]):
        self.store = store
        self.catalogue = catalogue
        self.webhooks = webhooks
        self.payments_url = payments_url.rstrip("/")
        self.shop_origins = shop_origins

    def _check_return_url(self, params: dict[str, Any]) -> None:
        """The challenge sends the shopper to return_url with the client secret: only to the shop."""
        url = as_str(params, "return_url")
        if url is not None and not is_on(url, self.shop_origins):
            raise invalid_request(
                f"Invalid return_url: it must be a page of the shop ({', '.join(self.shop_origins)}).",
                param="return_url",
                code="url_invalid",
            )

    # PaymentMethods -------------------------------------------------------------------------
    def create_payment_method(self, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, PM_CREATE_PARAMS)
        kind = as_str(params, "type", required=True)
        if kind != "card":
            raise invalid_request(f"Invalid type: the sandbox supports only card, not {kind}", param="type")
        card_params = as_dict(params, "card")
        if card_params is None:
            raise invalid_request("Missing required param: card.", param="card", code="parameter_missing")
        number = "".join((as_str(card_params, "number") or "").split())
        if not number:
            raise invalid_request("Missing required param: card[number].", param="card[number]", code="parameter_missing")
        if not luhn_valid(number):
            raise card_error("incorrect_number", "Your card number is incorrect.", param="number")
        card = self.catalogue.by_number(number)
        if card is None:
            raise card_error("card_declined", LIVE_CARD_MESSAGE, decline_code="test_mode_live_card")
        exp_month = as_int(card_params, "exp_month", required=True)
        exp_year = as_int(card_params, "exp_year", required=True)
        exp_year = exp_year + 2000 if exp_year is not None and exp_year < 100 else exp_year
        now = time.gmtime()
        if not 1 <= exp_month <= 12:
            raise card_error("invalid_expiry_month", "Your card's expiration month is invalid.", param="exp_month")
        if exp_year < now.tm_year or exp_year > now.tm_year + 50:
            raise card_error("invalid_expiry_year", "Your card's expiration year is invalid.", param="exp_year")
        if exp_year == now.tm_year and exp_month < now.tm_mon:
            raise card_error("invalid_expiry_month", "Your card's expiration month is invalid.", param="exp_month")
        cvc = as_str(card_params, "cvc")
        if cvc is not None and not (cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise card_error("invalid_cvc", "Your card's security code is invalid.", param="cvc")
        pm = objects.payment_method(card, exp_month, exp_year, as_dict(params, "billing_details"), as_dict(params, "metadata"))
        if cvc is not None:
            pm["card"]["checks"]["cvc_check"] = "pass"
        return self.store.put(pm)

    def retrieve_payment_method(self, pm_id: str) -> dict[str, Any]:
        card = self.catalogue.by_payment_method(pm_id)
        if card is not None:
            return self._materialise(card, pm_id)
        found = self.store.get("payment_method", pm_id)
        if not found:
            raise missing("PaymentMethod", pm_id)
        return found

    def _materialise(self, card: Card, alias: str) -> dict[str, Any]:
        """A `pm_card_*` id stands for a fresh PaymentMethod of that card, as on Stripe."""
        year = time.gmtime().tm_year + 3
        pm = objects.payment_method(card, 12, year, None, None)
        pm["_alias"] = alias
        return self.store.put(pm)

    def _card_of(self, pm: dict[str, Any]) -> Card:
        return self.catalogue.cards[pm["_card"]]

    # PaymentIntents -------------------------------------------------------------------------
    def create_payment_intent(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        reject_unknown(params, PI_CREATE_PARAMS)
        self._check_return_url(params)
        amount = as_int(params, "amount", required=True, minimum=1)
        currency = (as_str(params, "currency", required=True) or "").lower()
        if len(currency) != 3 or not currency.isalpha():
            raise invalid_request(f"Invalid currency: {currency}.", param="currency")
        capture = as_str(params, "capture_method") or "automatic"
        if capture not in ("automatic", "automatic_async", "manual"):
            raise invalid_request(f"Invalid capture_method: {capture}", param="capture_method")
        for name in ("metadata", "shipping", "automatic_payment_methods"):
            as_dict(params, name)
        as_list(params, "payment_method_types")
        confirm = as_bool(params, "confirm")
        pi = objects.payment_intent(amount, currency, params)
        if as_str(params, "payment_method"):
            pi["payment_method"] = self.retrieve_payment_method(params["payment_method"])["id"]
            pi["status"] = "requires_confirmation"
        self.store.put(pi)
        if confirm:
            return self._confirm(pi, {}, idempotency_key)
        return pi

    def retrieve_payment_intent(self, pi_id: str) -> dict[str, Any]:
        found = self.store.get("payment_intent", pi_id)
        if not found:
            raise missing("payment_intent", pi_id, param="intent")
        return found

    def confirm_payment_intent(self, pi_id: str, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        reject_unknown(params, PI_CONFIRM_PARAMS)
        self._check_return_url(params)
        return self._confirm(self.retrieve_payment_intent(pi_id), params, idempotency_key)

    def _confirm(self, pi: dict[str, Any], params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        if pi["status"] not in CONFIRMABLE:
            raise unexpected_state(
                f"This PaymentIntent's status is {pi['status']}, so it cannot be confirmed. "
                "You can only confirm a PaymentIntent with one of: requires_payment_method, "
                "requires_confirmation, requires_action."
            )
        if as_str(params, "payment_method"):
            pi["payment_method"] = self.retrieve_payment_method(params["payment_method"])["id"]
        for name in ("receipt_email", "shipping", "capture_method"):
            if params.get(name) not in (None, ""):
                pi[name] = params[name]
        if as_str(params, "return_url"):
            pi["_return_url"] = params["return_url"]
        if not pi["payment_method"]:
            raise invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method. You can either "
                "update the PaymentIntent with a payment method and then confirm it again, or confirm it again "
                "directly with a payment method.",
                code="payment_intent_unexpected_state",
            )
        pm = self.retrieve_payment_method(pi["payment_method"])
        card = self._card_of(pm)
        pi["_authenticated"] = None
        if card.three_d_secure:
            with self.store.transaction():
                pi.update(
                    status="requires_action",
                    last_payment_error=None,
                    next_action={
                        "type": "redirect_to_url",
                        "redirect_to_url": {"url": f"{self.payments_url}/3ds/{pi['id']}", "return_url": pi["_return_url"]},
                    },
                )
                return self.store.put(pi)
        return self._charge(pi, pm, card.decline if card.outcome == "declined" else None, idempotency_key)

    def _charge(
        self, pi: dict[str, Any], pm: dict[str, Any], decline: Decline | None, idempotency_key: str | None
    ) -> dict[str, Any]:
        """Attempt the charge; commit its record and event; raise the 402 after a decline."""
        with self.store.transaction():
            charge = self.store.put(objects.charge(pi, pm, decline), parent=pi["id"])
            pi.update(latest_charge=charge["id"], next_action=None)
            if decline:
                pi.update(
                    status="requires_payment_method", last_payment_error=objects.card_error_object(decline, pm, charge["id"])
                )
                self.store.put(pi)
                self.webhooks.emit("payment_intent.payment_failed", objects.public(pi), idempotency_key)
            else:
                manual = pi["capture_method"] == "manual"
                pi.update(
                    status="requires_capture" if manual else "succeeded",
                    last_payment_error=None,
                    amount_capturable=pi["amount"] if manual else 0,
                    amount_received=0 if manual else pi["amount"],
                )
                self.store.put(pi)
                if not manual:
                    self.webhooks.emit("payment_intent.succeeded", objects.public(pi), idempotency_key)
        if decline:
            error = card_error(
                decline.code,
                decline.message,
                decline_code=decline.decline_code,
                charge=charge["id"],
                payment_intent=objects.public(pi),
                payment_method=objects.public(pm),
            )
            raise error
        return pi

    def capture_payment_intent(self, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, frozenset({"amount_to_capture", "expand", "metadata"}))
        pi = self.retrieve_payment_intent(pi_id)
        if pi["status"] != "requires_capture":
            raise unexpected_state(f"This PaymentIntent could not be captured because it has a status of {pi['status']}.")
        amount = as_int(params, "amount_to_capture", minimum=1) or pi["amount"]
        if amount > pi["amount_capturable"]:
            raise invalid_request(
                "The amount to capture is greater than the amount capturable.", param="amount_to_capture", code="amount_too_large"
            )
        with self.store.transaction():
            charge = self.store.get("charge", pi["latest_charge"])
            assert charge is not None, "a capturable PaymentIntent has its charge"
            charge.update(captured=True, amount_captured=amount)
            self.store.put(charge)
            pi.update(status="succeeded", amount_capturable=0, amount_received=amount)
            self.store.put(pi)
            self.webhooks.emit("payment_intent.succeeded", objects.public(pi))
        return pi

    def cancel_payment_intent(self, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Abandon an unfinished PaymentIntent (the shop does, before a new attempt for the same order)."""
        reject_unknown(params, frozenset({"cancellation_reason", "expand"}))
        reason = as_str(params, "cancellation_reason")
        if reason is not None and reason not in ("duplicate", "fraudulent", "requested_by_customer", "abandoned"):
            raise invalid_request(f"Invalid cancellation_reason: {reason}", param="cancellation_reason")
        pi = self.retrieve_payment_intent(pi_id)
        if pi["status"] in ("succeeded", "canceled"):
            raise unexpected_state(
                f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a "
                "PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
                "requires_capture, requires_confirmation, requires_action, processing."
            )
        pi.update(status="canceled", canceled_at=int(time.time()), cancellation_reason=reason, next_action=None)
        return self.store.put(pi)

    def authenticate(self, pi_id: str, succeeded: bool) -> dict[str, Any]:
        """The cardholder's answer on the 3DS challenge page; returns the PaymentIntent after it."""
        pi = self.retrieve_payment_intent(pi_id)
        if pi["status"] != "requires_action":
            raise unexpected_state(f"This PaymentIntent's status is {pi['status']}; there is no authentication pending.")
        pm = self.retrieve_payment_method(pi["payment_method"])
        if succeeded:
            pi["_authenticated"] = pm["id"]
            try:
                return self._charge(pi, pm, self._card_of(pm).result_after_authentication(), None)
            except StripeError:
                return self.retrieve_payment_intent(pi_id)
        with self.store.transaction():
            pi.update(
                status="requires_payment_method",
                next_action=None,
                last_payment_error=objects.authentication_failure_object(self.catalogue.authentication_failure, pm),
            )
            self.store.put(pi)
            self.webhooks.emit("payment_intent.payment_failed", objects.public(pi))
        return pi

    # Charges and refunds --------------------------------------------------------------------
    def retrieve_charge(self, charge_id: str) -> dict[str, Any]:
        found = self.store.get("charge", charge_id)
        if not found:
            raise missing("charge", charge_id)
        return found

    def list_charges(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = as_int(params, "limit", minimum=1) or 10
        pi_id = as_str(params, "payment_intent")
        charges = self.store.children("charge", pi_id) if pi_id else self.store.latest("charge", limit + 1)
        return objects.listing("/v1/charges", charges[:limit], has_more=len(charges) > limit)

    def create_refund(self, params: dict[str, Any], idempotency_key: str | None) -> dict[str, Any]:
        reject_unknown(params, REFUND_PARAMS)
        charge_id, pi_id = as_str(params, "charge"), as_str(params, "payment_intent")
        if not charge_id and not pi_id:
            raise invalid_request(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        if pi_id:
            pi = self.retrieve_payment_intent(pi_id)
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise invalid_request("This PaymentIntent does not have a successful charge to refund.", param="payment_intent")
            charge_id = pi["latest_charge"]
        reason = as_str(params, "reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid_request(f"Invalid reason: must be one of {', '.join(REFUND_REASONS)}", param="reason")
        amount = as_int(params, "amount", minimum=1)
        assert charge_id, "one of payment_intent and charge names it (checked above)"
        with self.store.transaction():
            charge = self.retrieve_charge(charge_id)
            if not charge["captured"]:
                raise invalid_request(f"Charge {charge_id} has not been captured; it cannot be refunded.", param="charge")
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            if remaining <= 0:
                raise invalid_request(f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
            amount = remaining if amount is None else amount
            if amount > remaining:
                raise invalid_request(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            refund = self.store.put(objects.refund(charge, amount, reason, as_dict(params, "metadata")), parent=charge["id"])
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            self.store.put(charge)
            self.webhooks.emit("charge.refunded", objects.public(charge), idempotency_key)
        return refund

    def list_refunds(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = as_int(params, "limit", minimum=1) or 10
        charge_id, pi_id = as_str(params, "charge"), as_str(params, "payment_intent")
        if pi_id:
            charge_ids = [c["id"] for c in self.store.children("charge", pi_id)]
        elif charge_id:
            charge_ids = [charge_id]
        else:
            found = self.store.latest("refund", limit + 1)
            return objects.listing("/v1/refunds", found[:limit], has_more=len(found) > limit)
        found = sorted(
            (r for c in charge_ids for r in self.store.children("refund", c)), key=lambda r: r["created"], reverse=True
        )
        return objects.listing("/v1/refunds", found[:limit], has_more=len(found) > limit)

    def retrieve_refund(self, refund_id: str) -> dict[str, Any]:
        found = self.store.get("refund", refund_id)
        if not found:
            raise missing("refund", refund_id)
        return found

    # Webhook endpoints (so a test can receive the signed events itself) ---------------------
    def create_webhook_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        reject_unknown(params, frozenset({"url", "enabled_events", "description", "metadata", "api_version"}))
        url = as_str(params, "url", required=True)
        if not url.startswith(("http://127.0.0.1", "http://localhost")):
            raise invalid_request("The sandbox delivers webhooks to 127.0.0.1 / localhost only.", param="url")
        events = as_list(params, "enabled_events")
        if not events:
            raise invalid_request("Missing required param: enabled_events.", param="enabled_events", code="parameter_missing")
        endpoint = {
            "id": new_id("we"),
            "object": "webhook_endpoint",
            "url": url,
            "enabled_events": events,
            "status": "enabled",
            "created": int(time.time()),
            "livemode": False,
            "description": params.get("description"),
            "metadata": params.get("metadata") or {},
            "secret": f"whsec_{secrets.token_hex(24)}",
        }
        return self.store.put(endpoint)

    def delete_webhook_endpoint(self, endpoint_id: str) -> dict[str, Any]:
        endpoint = self.store.get("webhook_endpoint", endpoint_id)
        if not endpoint:
            raise missing("webhook_endpoint", endpoint_id)
        endpoint["status"] = "disabled"
        self.store.put(endpoint)
        return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}

    def retrieve_event(self, event_id: str) -> dict[str, Any]:
        found = self.store.get("event", event_id)
        if not found:
            raise missing("event", event_id)
        return found

    def list_events(self, params: dict[str, Any]) -> dict[str, Any]:
        limit = as_int(params, "limit", minimum=1) or 10
        wanted = as_str(params, "type")
        events = [e for e in self.store.latest("event", 1000) if wanted is None or e["type"] == wanted]
        return objects.listing("/v1/events", events[:limit], has_more=len(events) > limit)
