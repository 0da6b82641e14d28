"""The shop's payments over HTTP against the real sandbox, on SQLite and PostgreSQL + Redis:
every card, 3DS, idempotency, webhooks, refunds, the worker's fulfilment and mailbox."""

from __future__ import annotations

import json
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import stripe

from shopflow_stack.payments.keys import publishable_key_for
from tests.stack.core_api import ADMIN, ShopperWithCards, error_code, wait_until

CARDS = tomllib.loads((Path(__file__).resolve().parents[2] / "data" / "cards.toml").read_text())["cards"]
PUBLISHABLE = publishable_key_for("sk_test_local_sandbox")  # the documented local default's pair
SETTLED = ("paid", "fulfilled")


@pytest.fixture(scope="module")
def shop(healthy_stack) -> ShopperWithCards:
    return ShopperWithCards(healthy_stack.api_url)


@pytest.fixture(scope="module")
def admin(healthy_stack) -> ShopperWithCards:
    return ShopperWithCards(healthy_stack.api_url, ADMIN)


def _email() -> str:
    return f"pay-{uuid.uuid4().hex[:10]}@example.test"


def _typed_card(payments_url: str, number: str) -> str:
    """What the hosted card fields do with a typed number: a PaymentMethod, by publishable key."""
    client = stripe.StripeClient(PUBLISHABLE, base_addresses={"api": payments_url}, max_network_retries=0)
    return client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": time.gmtime().tm_year + 2, "cvc": "123"}}
    ).id


@pytest.mark.parametrize("key", sorted(CARDS))
@pytest.mark.parametrize("entered_as", ["pm_id", "number"])
def test_every_catalogue_card_has_its_outcome(shop: ShopperWithCards, healthy_stack, key: str, entered_as: str) -> None:
    card = CARDS[key]
    method = card["payment_method"] if entered_as == "pm_id" else _typed_card(healthy_stack.urls["payments"], card["number"])
    order = shop.placed_order(_email())
    response = shop.pay(order["id"], method)
    if card["outcome"] == "declined":
        assert response.status_code == 402, response.text
        body = response.json()
        assert (body["error"]["code"], body["error"]["decline_code"]) == (card["code"], card["decline_code"])
        assert body["error"]["message"] == card["message"] and body["payment"]["status"] == "failed"
        assert shop.settles(order["id"], ("payment_failed",))["status"] == "payment_failed"
    elif card["outcome"] == "requires_action":
        payment = shop.ok(response)["payment"]
        assert payment["status"] == "requires_action"
        assert payment["next_action"]["redirect_url"].endswith(f"/3ds/{payment['provider_id']}")
        assert shop.order_status(order["id"]) == "requires_action"
    else:
        assert shop.ok(response)["payment"]["status"] == "succeeded"
        assert shop.settles(order["id"], SETTLED)["status"] in SETTLED


@pytest.mark.parametrize("answer, status", [("complete", SETTLED), ("fail", ("payment_failed",))])
def test_3ds_complete_pays_and_fail_does_not(shop: ShopperWithCards, healthy_stack, answer: str, status) -> None:
    order = shop.placed_order(_email())
    payment = shop.ok(shop.pay(order["id"], CARDS["threeds2_required"]["payment_method"]))["payment"]
    httpx.post(f"{healthy_stack.urls['payments']}/3ds/{payment['provider_id']}/{answer}", follow_redirects=False)
    assert shop.settles(order["id"], status)["status"] in status
    if answer == "fail":  # a failed challenge leaves the order payable with another card
        assert shop.ok(shop.pay(order["id"], "pm_card_visa"))["payment"]["status"] == "succeeded"
        assert shop.settles(order["id"], SETTLED)["status"] in SETTLED


def test_a_declined_order_can_be_paid_with_another_card(shop: ShopperWithCards) -> None:
    order = shop.placed_order(_email())
    assert shop.pay(order["id"], CARDS["insufficient_funds"]["payment_method"]).status_code == 402
    assert shop.ok(shop.pay(order["id"], "pm_card_visa"))["payment"]["status"] == "succeeded"
    settled = shop.settles(order["id"], SETTLED)
    assert settled["paid_amount"] == settled["total"]
    assert [p["status"] for p in settled["payments"]] == ["failed", "succeeded"]
    assert error_code(shop.pay(order["id"], "pm_card_visa")) == "order_not_payable"


def test_idempotent_pay_replays_and_charges_once(shop: ShopperWithCards, healthy_stack) -> None:
    order = shop.placed_order(_email())
    key = uuid.uuid4().hex
    first = shop.pay(order["id"], "pm_card_visa", key)
    again = shop.pay(order["id"], "pm_card_visa", key)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    shop.settles(order["id"], SETTLED)
    client = stripe.StripeClient("sk_test_local_sandbox", base_addresses={"api": healthy_stack.urls["payments"]})
    charges = client.v1.charges.list(params={"payment_intent": first.json()["payment"]["provider_id"]})
    assert len(charges.data) == 1
    assert len(shop.ok(shop.http.get(f"/api/orders/{order['id']}"))["payments"]) == 1


def test_paid_orders_are_fulfilled_with_exactly_one_email(shop: ShopperWithCards, admin: ShopperWithCards) -> None:
    email = _email()
    order = shop.placed_order(email)
    shop.ok(shop.pay(order["id"], "pm_card_visa"))
    fulfilled = shop.settles(order["id"], ("fulfilled",))
    assert fulfilled["status"] == "fulfilled" and fulfilled["fulfilled_at"]
    mail = wait_until(lambda: admin.ok(admin.http.get("/api/admin/mailbox", params={"recipient": email}))["items"])
    time.sleep(0.5)  # a duplicate would arrive by now
    mail = admin.ok(admin.http.get("/api/admin/mailbox", params={"recipient": email}))["items"]
    assert [m["order_number"] for m in mail] == [order["number"]]
    assert order["number"] in mail[0]["subject"]


def test_refunds_partial_full_and_over(shop: ShopperWithCards, admin: ShopperWithCards) -> None:
    order = shop.placed_order(_email())
    shop.ok(shop.pay(order["id"], "pm_card_visa"))
    paid = shop.settles(order["id"], SETTLED)
    refunds = f"/api/admin/orders/{order['id']}/refunds"
    part = admin.ok(admin.http.post(refunds, json={"amount": 100, "reason": "damaged"}), 201)
    assert part["refund"]["amount"] == 100 and part["refund"]["provider_id"].startswith("re_")
    assert (part["order"]["refunded_amount"], part["order"]["status"]) == (100, "partially_refunded")
    over = admin.http.post(refunds, json={"amount": paid["total"], "reason": "too much"})
    assert (over.status_code, error_code(over)) == (409, "refund_exceeds_captured")
    rest = admin.ok(admin.http.post(refunds, json={"amount": None, "reason": "returned"}), 201)
    assert rest["refund"]["amount"] == paid["total"] - 100
    assert (rest["order"]["refunded_amount"], rest["order"]["status"]) == (paid["total"], "refunded")
    assert error_code(admin.http.post(refunds, json={"amount": 1, "reason": "again"})) == "refund_exceeds_captured"
    unpaid = shop.placed_order(_email())
    assert error_code(admin.http.post(f"/api/admin/orders/{unpaid['id']}/refunds", json={"amount": 1})) == "order_not_paid"


def test_webhooks_are_verified_and_tampering_is_rejected(shop: ShopperWithCards, healthy_stack) -> None:
    order = shop.placed_order(_email())
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_forged",
                "object": "payment_intent",
                "amount_received": 1,
                "metadata": {"order_id": str(order["id"])},
            }
        },
    }
    payload = json.dumps(event)
    forged = httpx.post(
        f"{healthy_stack.api_url}/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"},
    )
    assert (forged.status_code, error_code(forged)) == (400, "invalid_signature")
    unsigned = httpx.post(f"{healthy_stack.api_url}/webhooks/stripe", content=payload)
    assert unsigned.status_code == 400
    assert shop.order_status(order["id"]) == "pending"


def test_a_correctly_signed_but_altered_payload_is_rejected(shop: ShopperWithCards, healthy_stack) -> None:
    from shopflow_stack.payments.webhooks import sign  # the sandbox's signer: the same scheme Stripe uses

    secret = "whsec_local_sandbox_secret"  # the local default (data/environments.toml)
    order = shop.placed_order(_email())
    original = json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex}",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_x", "metadata": {"order_id": str(order["id"])}}},
        }
    )
    signature = sign(original, secret)
    tampered = original.replace("pi_x", "pi_y")
    response = httpx.post(f"{healthy_stack.api_url}/webhooks/stripe", content=tampered, headers={"Stripe-Signature": signature})
    assert response.status_code == 400
    assert shop.order_status(order["id"]) == "pending"


def test_fifty_concurrent_paid_checkouts_make_fifty_paid_orders_and_emails(healthy_stack) -> None:
    tag = f"pay50-{uuid.uuid4().hex[:6]}"
    shop, admin = ShopperWithCards(healthy_stack.api_url, tag=tag), ShopperWithCards(healthy_stack.api_url, ADMIN)
    product = max(shop.ok(shop.http.get("/api/products", params={"per_page": 100}))["items"], key=lambda p: p["stock"])
    assert product["stock"] >= 50
    emails = [_email() for _ in range(50)]

    def checkout(email: str) -> int:
        order = shop.ok(shop.order(shop.cart_with(product["id"])["id"], email), 201)
        assert shop.pay(order["id"], "pm_card_visa", uuid.uuid4().hex).status_code == 200
        return order["id"]

    with ThreadPoolExecutor(max_workers=10) as pool:
        order_ids = list(pool.map(checkout, emails))
    statuses = [shop.settles(i, ("fulfilled",))["status"] for i in order_ids]
    assert statuses == ["fulfilled"] * 50
    counts = [len(admin.ok(admin.http.get("/api/admin/mailbox", params={"recipient": e}))["items"]) for e in emails]
    assert counts == [1] * 50
    admin.ok(admin.http.delete(f"/api/admin/test-runs/{tag}"))
