"""Signed webhook events, delivered from an outbox by a background thread with retries.

Stripe signs `"{t}.{payload}"` with HMAC-SHA256 under the endpoint's secret and sends
`Stripe-Signature: t=<unix time>,v1=<hex>`; `stripe.Webhook.construct_event` checks exactly
that. Each attempt is signed afresh (a retry an hour later still passes the 5-minute
tolerance). The shop's endpoint (`{api_url}/webhooks/stripe`, secret = the stack's
webhook_secret) always receives; tests may register more with POST /v1/webhook_endpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any

import httpx

from shopflow_stack.payments.ids import new_id
from shopflow_stack.payments.store import Delivery, Store

log = logging.getLogger("shopflow_stack.payments.webhooks")

SHOP_ENDPOINT = "we_shop"
SHOP_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded")
API_VERSION = "2024-06-20"
MAX_ATTEMPTS = 20
BACKOFF_CAP_S = 30.0


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failures: 0.5, 1, 2, … capped at 30 s."""
    return min(0.5 * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S)


class Webhooks:
    """Creates events, fans them out to endpoints, and delivers them in order."""

    def __init__(self, store: Store, shop_url: str, shop_secret: str):
        self.store = store
        self.shop_url = shop_url
        self.shop_secret = shop_secret
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # Endpoints ------------------------------------------------------------------------------
    def endpoint(self, endpoint_id: str) -> tuple[str, str] | None:
        """(url, secret) of an endpoint, or None when it was deleted."""
        if endpoint_id == SHOP_ENDPOINT:
            return self.shop_url, self.shop_secret
        found = self.store.get("webhook_endpoint", endpoint_id)
        return (found["url"], found["secret"]) if found and found.get("status") == "enabled" else None

    def _subscribers(self, event_type: str) -> list[str]:
        subscribers = [SHOP_ENDPOINT] if event_type in SHOP_EVENTS else []
        for endpoint in self.store.latest("webhook_endpoint", 1000):
            events = endpoint.get("enabled_events") or []
            if endpoint.get("status") == "enabled" and ("*" in events or event_type in events):
                subscribers.append(endpoint["id"])
        return subscribers

    # Events ---------------------------------------------------------------------------------
    def emit(self, event_type: str, obj: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """Record an event about `obj` and queue it for every subscribed endpoint."""
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": new_id("req"), "idempotency_key": idempotency_key},
            "type": event_type,
        }
        subscribers = self._subscribers(event_type)
        event["pending_webhooks"] = len(subscribers)
        with self.store.transaction():
            self.store.put(event, parent=obj.get("id"))
            payload = json.dumps(event, indent=2)
            for endpoint_id in subscribers:
                self.store.enqueue(str(event["id"]), endpoint_id, payload)
        self._wake.set()
        return event

    # Delivery -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        with httpx.Client(timeout=10.0, headers={"User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}) as client:
            while not self._stop.is_set():
                try:
                    for delivery in self.store.due(time.time()):
                        if self._stop.is_set():
                            return
                        self._deliver(client, delivery)
                    next_at = self.store.next_due_at()
                except Exception:  # the thread must outlive any one bad row; the log says what broke
                    log.exception("webhook delivery loop failed; retrying in 1 s")
                    next_at = time.time() + 1
                wait = 1.0 if next_at is None else min(max(next_at - time.time(), 0.0), 1.0)
                if wait > 0:
                    self._wake.wait(wait)
                self._wake.clear()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        target = self.endpoint(delivery.endpoint)
        if target is None:
            self.store.failed(delivery.id, "endpoint deleted", None)
            return
        url, secret = target
        try:
            response = client.post(
                url,
                content=delivery.payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(delivery.payload, secret),
                },
            )
            error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            self.store.delivered(delivery.id)
            log.info("webhook %s → %s delivered (attempt %d)", delivery.event_id, url, delivery.attempts + 1)
            return
        attempts = delivery.attempts + 1
        give_up = attempts >= MAX_ATTEMPTS
        self.store.failed(delivery.id, error, None if give_up else time.time() + backoff(attempts))
        log.warning(
            "webhook %s → %s failed (attempt %d%s): %s", delivery.event_id, url, attempts, ", giving up" if give_up else "", error
        )
