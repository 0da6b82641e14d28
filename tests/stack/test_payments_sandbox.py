"""The payment sandbox, driven through the official `stripe` SDK against a real running stack.

Every catalogue card by number and by PaymentMethod id, 3DS complete and fail, idempotent
replay, refunds, and signed webhooks received by a real HTTP endpoint in this process.
"""

from __future__ import annotations

import http.server
import json
import queue
import re
import threading
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from shopflow_stack.payments.keys import publishable_key_for

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = tomllib.loads((REPO / "data" / "cards.toml").read_text())
CARDS: dict[str, dict[str, Any]] = CATALOGUE["cards"]
SECRET_KEY = "sk_test_local_sandbox"  # the documented local default (data/environments.toml)
PUBLISHABLE_KEY = publishable_key_for("sk_test_local_sandbox")  # the documented local default's pair
EXP_YEAR = time.gmtime().tm_year + 3
THREE_DS = [k for k, c in CARDS.items() if c["three_d_secure"]]


@dataclass(frozen=True)
class Sandbox:
    url: str
    client: stripe.StripeClient
    public: stripe.StripeClient
    shop: str  # the storefront's origin: the only place return_url may send the shopper

    def pay(self, payment_method: str, amount: int = 2500, **extra: Any) -> stripe.PaymentIntent:
        params = {
            "amount": amount,
            "currency": "usd",
            "payment_method": payment_method,
            "confirm": True,
            "return_url": f"{self.shop}/return",
            **extra,
        }
        return self.client.v1.payment_intents.create(params=params)

    def charges(self, pi_id: str) -> list[Any]:
        return self.client.v1.charges.list(params={"payment_intent": pi_id}).data

    def authenticate(self, pi_id: str, action: str) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/3ds/{pi_id}/{action}", headers={"Accept": "application/json"})
        assert response.status_code == 200, response.text
        return response.json()


def _client(url: str, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": url}, max_network_retries=0)


@pytest.fixture(scope="module")
def sandbox(sqlite_stack) -> Sandbox:
    url = sqlite_stack.urls["payments"]
    return Sandbox(url, _client(url, SECRET_KEY), _client(url, PUBLISHABLE_KEY), sqlite_stack.urls["web"])


def _card_payment_method(sandbox: Sandbox, number: str) -> str:
    """What the hosted card fields do: create the PaymentMethod with the publishable key."""
    pm = sandbox.public.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": EXP_YEAR, "cvc": "123"}}
    )
    return pm.id


def _assert_outcome(sandbox: Sandbox, card: dict[str, Any], payment_method: str) -> None:
    if card["outcome"] == "declined":
        with pytest.raises(stripe.CardError) as caught:
            sandbox.pay(payment_method)
        error = caught.value
        assert error.http_status == 402
        assert (error.code, error.error.decline_code, error.user_message) == (card["code"], card["decline_code"], card["message"])
        pi = error.error.payment_intent
        assert pi.status == "requires_payment_method"
        assert pi.last_payment_error.decline_code == card["decline_code"]
        assert [c.status for c in sandbox.charges(pi.id)] == ["failed"]
        return
    pi = sandbox.pay(payment_method)
    assert pi.status == card["outcome"]
    if card["outcome"] == "succeeded":
        assert pi.amount_received == 2500
        assert [(c.status, c.amount_captured) for c in sandbox.charges(pi.id)] == [("succeeded", 2500)]
    else:
        assert pi.next_action.type == "redirect_to_url"
        assert pi.next_action.redirect_to_url.url == f"{sandbox.url}/3ds/{pi.id}"
        assert sandbox.charges(pi.id) == []


@pytest.mark.parametrize("key", list(CARDS))
def test_every_card_by_payment_method_id(sandbox: Sandbox, key: str) -> None:
    card = CARDS[key]
    _assert_outcome(sandbox, card, card["payment_method"])
    for alias in card.get("aliases", []):
        _assert_outcome(sandbox, card, alias)


@pytest.mark.parametrize("key", list(CARDS))
def test_every_card_by_number_through_the_publishable_key(sandbox: Sandbox, key: str) -> None:
    card = CARDS[key]
    pm_id = _card_payment_method(sandbox, card["number"])
    pm = sandbox.client.v1.payment_methods.retrieve(pm_id)
    assert (pm.card.brand, pm.card.last4) == (card["brand"], card["last4"])
    _assert_outcome(sandbox, card, pm_id)


@pytest.mark.parametrize("key", THREE_DS)
def test_3ds_complete_ends_as_the_catalogue_says(sandbox: Sandbox, key: str) -> None:
    card = CARDS[key]
    pi = sandbox.pay(card["payment_method"])
    result = sandbox.authenticate(pi.id, "complete")
    after = sandbox.client.v1.payment_intents.retrieve(pi.id)
    if card["after_authentication"] == "succeeded":
        assert result["status"] == "succeeded"
        assert after.status == "succeeded"
        assert [c.status for c in sandbox.charges(pi.id)] == ["succeeded"]
    else:
        assert result["status"] == "failed"
        assert after.status == "requires_payment_method"
        assert after.last_payment_error.decline_code == card["decline_code"]
        assert after.last_payment_error.message == card["message"]
    assert result["redirect_url"].startswith(f"{sandbox.shop}/return?payment_intent=" + pi.id)


def test_3ds_fail_fails_the_payment_and_another_card_can_pay_it(sandbox: Sandbox) -> None:
    pi = sandbox.pay(CARDS["threeds_required"]["payment_method"])
    assert sandbox.authenticate(pi.id, "fail")["status"] == "failed"
    after = sandbox.client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == CATALOGUE["authentication_failure"]["code"]
    assert sandbox.charges(pi.id) == []
    retried = sandbox.client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded"
    # The challenge is over: answering it again is refused.
    response = httpx.post(f"{sandbox.url}/3ds/{pi.id}/complete", headers={"Accept": "application/json"})
    assert response.status_code == 400


def test_3ds_challenge_page_without_javascript_redirects_to_return_url(sandbox: Sandbox) -> None:
    pi = sandbox.pay(CARDS["threeds2_required"]["payment_method"], return_url=f"{sandbox.shop}/done?order=7")
    page = httpx.get(pi.next_action.redirect_to_url.url)
    assert page.status_code == 200
    for text in ("Complete authentication", "Fail authentication", 'data-testid="3ds-complete"', "25.00 USD"):
        assert text in page.text
    assert f"frame-ancestors {sandbox.shop} " in page.headers["content-security-policy"]
    answer = httpx.post(f"{sandbox.url}/3ds/{pi.id}/complete")  # a plain form post
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"{sandbox.shop}/done?order=7&payment_intent={pi.id}&")
    assert "redirect_status=succeeded" in answer.headers["location"]


def test_idempotent_replay_returns_the_first_response_and_charges_once(sandbox: Sandbox) -> None:
    params = {"amount": 4100, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
    first = sandbox.client.v1.payment_intents.create(params=params, options={"idempotency_key": "idem-a"})
    again = sandbox.client.v1.payment_intents.create(params=params, options={"idempotency_key": "idem-a"})
    assert again.id == first.id
    assert len(sandbox.charges(first.id)) == 1
    with pytest.raises(stripe.IdempotencyError):
        sandbox.client.v1.payment_intents.create(params={**params, "amount": 4200}, options={"idempotency_key": "idem-a"})
    # A decline replays as the same 402 with the same PaymentIntent.
    declined = {**params, "payment_method": CARDS["insufficient_funds"]["payment_method"]}
    ids = set()
    for _ in range(2):
        with pytest.raises(stripe.CardError) as caught:
            sandbox.client.v1.payment_intents.create(params=declined, options={"idempotency_key": "idem-b"})
        ids.add(caught.value.error.payment_intent.id)
    assert len(ids) == 1


def test_concurrent_requests_with_one_key_create_one_payment(sandbox: Sandbox) -> None:
    body = {"amount": "3100", "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true"}
    headers = {"Authorization": f"Bearer {SECRET_KEY}", "Idempotency-Key": "idem-race"}
    with httpx.Client() as http, ThreadPoolExecutor(10) as pool:
        responses = list(
            pool.map(lambda _: http.post(f"{sandbox.url}/v1/payment_intents", data=body, headers=headers), range(10))
        )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 9
    assert len(sandbox.charges(responses[0].json()["id"])) == 1


def test_refunds_partial_then_full_and_never_more_than_captured(sandbox: Sandbox) -> None:
    pi = sandbox.pay("pm_card_visa", amount=5000)
    first = sandbox.client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1500, "reason": "requested_by_customer"})
    assert (first.status, first.amount, first.payment_intent) == ("succeeded", 1500, pi.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sandbox.client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 3501})
    assert (caught.value.http_status, caught.value.code) == (400, "amount_too_large")
    rest = sandbox.client.v1.refunds.create(params={"payment_intent": pi.id})
    assert rest.amount == 3500
    assert sandbox.client.v1.refunds.retrieve(rest.id).amount == 3500
    charge = sandbox.charges(pi.id)[0]
    assert (charge.amount_refunded, charge.refunded) == (5000, True)
    listed = sandbox.client.v1.refunds.list(params={"payment_intent": pi.id}).data
    assert sorted(r.amount for r in listed) == [1500, 3500]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sandbox.client.v1.refunds.create(params={"charge": charge.id, "amount": 1})
    assert caught.value.code == "charge_already_refunded"


def test_refund_of_a_declined_payment_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(stripe.CardError) as caught:
        sandbox.pay(CARDS["generic_decline"]["payment_method"])
    with pytest.raises(stripe.InvalidRequestError):
        sandbox.client.v1.refunds.create(params={"payment_intent": caught.value.error.payment_intent.id})


def test_cards_outside_the_catalogue_are_refused(sandbox: Sandbox) -> None:
    card = {"exp_month": 12, "exp_year": EXP_YEAR, "cvc": "123"}
    with pytest.raises(stripe.CardError) as caught:  # Luhn-valid, real-looking, not a test card
        sandbox.public.v1.payment_methods.create(params={"type": "card", "card": {"number": "4111111111111111", **card}})
    assert (caught.value.code, caught.value.error.decline_code) == ("card_declined", "test_mode_live_card")
    with pytest.raises(stripe.CardError) as caught:
        sandbox.public.v1.payment_methods.create(params={"type": "card", "card": {"number": "4242424242424241", **card}})
    assert caught.value.code == "incorrect_number"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sandbox.pay("pm_card_unknownBrand")
    assert caught.value.http_status == 404


def test_keys_publishable_only_for_payment_methods_and_unknown_keys_refused(sandbox: Sandbox) -> None:
    with pytest.raises(stripe.AuthenticationError):
        sandbox.public.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    with pytest.raises(stripe.AuthenticationError):
        _client(sandbox.url, "sk_test_wrong").v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sandbox.client.v1.payment_intents.create(params={"amount": 100, "currency": "usd", "colour": "red"})
    assert "unknown parameter" in str(caught.value)


def test_health(sandbox: Sandbox) -> None:
    body = httpx.get(f"{sandbox.url}/health").json()
    assert body["status"] == "ok" and body["version"]


# Webhooks -----------------------------------------------------------------------------------
@dataclass
class Receiver:
    url: str
    received: queue.Queue[tuple[bytes, str]]
    fail_first: list[int]

    def next_event(self, event_type: str, object_id: str, timeout: float = 15) -> tuple[bytes, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            payload, signature = self.received.get(timeout=max(deadline - time.monotonic(), 0.01))
            event = json.loads(payload)
            if event["type"] == event_type and event["data"]["object"]["id"] == object_id:
                return payload, signature
        raise AssertionError(f"no {event_type} for {object_id} within {timeout} s")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """A real HTTP endpoint on 127.0.0.1 that records what the sandbox delivers."""
    received: queue.Queue[tuple[bytes, str]] = queue.Queue()
    fail_first = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = self.rfile.read(int(self.headers["Content-Length"]))
            if fail_first[0] > 0:
                fail_first[0] -= 1
                self.send_response(503)
            else:
                received.put((payload, self.headers["Stripe-Signature"]))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", received, fail_first)
    server.shutdown()


@pytest.fixture(scope="module")
def endpoint_secret(sandbox: Sandbox, receiver: Receiver) -> Iterator[str]:
    endpoint = sandbox.client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
    yield endpoint.secret
    sandbox.client.v1.webhook_endpoints.delete(endpoint.id)


def test_signed_webhooks_verify_and_tampering_is_detected(sandbox: Sandbox, receiver: Receiver, endpoint_secret: str) -> None:
    pi = sandbox.pay("pm_card_visa", amount=1999)
    payload, signature = receiver.next_event("payment_intent.succeeded", pi.id)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
    event = stripe.Webhook.construct_event(payload, signature, endpoint_secret)
    assert (event.type, event.data.object.amount_received) == ("payment_intent.succeeded", 1999)

    tampered = payload.replace(b"1999", b"1")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, signature, endpoint_secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_not_the_secret")


def test_failure_and_refund_events_are_delivered(sandbox: Sandbox, receiver: Receiver, endpoint_secret: str) -> None:
    with pytest.raises(stripe.CardError) as caught:
        sandbox.pay(CARDS["insufficient_funds"]["payment_method"])
    pi_id = caught.value.error.payment_intent.id
    payload, signature = receiver.next_event("payment_intent.payment_failed", pi_id)
    failed = stripe.Webhook.construct_event(payload, signature, endpoint_secret)
    assert failed.data.object.last_payment_error.decline_code == "insufficient_funds"

    paid = sandbox.pay("pm_card_visa", amount=3000)
    sandbox.client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1000})
    payload, signature = receiver.next_event("charge.refunded", paid.latest_charge)
    refunded = stripe.Webhook.construct_event(payload, signature, endpoint_secret)
    assert (refunded.data.object.amount_refunded, refunded.data.object.payment_intent) == (1000, paid.id)


def test_webhooks_are_retried_until_the_endpoint_accepts(sandbox: Sandbox, receiver: Receiver, endpoint_secret: str) -> None:
    receiver.fail_first[0] = 2  # the next two deliveries answer 503
    pi = sandbox.pay("pm_card_visa", amount=2222)
    payload, signature = receiver.next_event("payment_intent.succeeded", pi.id, timeout=20)
    assert stripe.Webhook.construct_event(payload, signature, endpoint_secret).data.object.id == pi.id
    assert receiver.fail_first[0] == 0


def test_cancelled_payment_can_no_longer_be_authenticated_or_cancelled_twice(sandbox: Sandbox) -> None:
    pi = sandbox.pay(CARDS["threeds_required"]["payment_method"])
    cancelled = sandbox.client.v1.payment_intents.cancel(pi.id, params={"cancellation_reason": "abandoned"})
    assert cancelled.status == "canceled"
    response = httpx.post(f"{sandbox.url}/3ds/{pi.id}/complete", headers={"Accept": "application/json"})
    assert response.status_code == 400
    with pytest.raises(stripe.InvalidRequestError):
        sandbox.client.v1.payment_intents.cancel(pi.id)
    paid = sandbox.pay("pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        sandbox.client.v1.payment_intents.cancel(paid.id)
    assert caught.value.code == "payment_intent_unexpected_state"
