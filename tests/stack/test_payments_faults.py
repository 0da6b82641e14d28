"""Each payment fault switch demonstrably changes what the shop does (stack/README.md)."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.stack.core_api import ADMIN, ShopperWithCards, error_code, wait_until

SETTLED = ("paid", "fulfilled")


@pytest.fixture(scope="module")
def broken(stack_factory, request: pytest.FixtureRequest):
    """Faults that do not mask each other, on one stack."""
    return stack_factory(
        "sqlite", faults=("decline_ignored", "skip_3ds", "wrong_total", "worker_stalled", "refund_overpays"), until=request
    )


def _shop(stack) -> tuple[ShopperWithCards, ShopperWithCards]:
    return ShopperWithCards(stack.api_url), ShopperWithCards(stack.api_url, ADMIN)


def _email() -> str:
    return f"fault-{uuid.uuid4().hex[:10]}@example.test"


def test_decline_ignored_pays_a_declined_card(broken) -> None:
    shop, _ = _shop(broken)
    order = shop.placed_order(_email())
    response = shop.pay(order["id"], "pm_card_visa_chargeDeclinedInsufficientFunds")
    assert response.status_code == 200 and response.json()["payment"]["status"] == "succeeded"
    time.sleep(0.5)  # the provider's payment_failed webhook arrives and is ignored too
    assert shop.order_status(order["id"]) == "paid"


def test_skip_3ds_pays_without_the_challenge(broken) -> None:
    shop, _ = _shop(broken)
    order = shop.placed_order(_email())
    payment = shop.ok(shop.pay(order["id"], "pm_card_threeDSecure2Required"))["payment"]
    assert payment["status"] == "succeeded" and payment["next_action"] is None
    assert shop.order_status(order["id"]) == "paid"


def test_wrong_total_charges_100_more_than_the_order(broken) -> None:
    shop, _ = _shop(broken)
    order = shop.placed_order(_email())
    payment = shop.ok(shop.pay(order["id"], "pm_card_visa"))["payment"]
    assert payment["amount"] == order["total"] + 100
    assert shop.settles(order["id"], SETTLED)["paid_amount"] == order["total"] + 100


def test_worker_stalled_neither_fulfils_nor_mails(broken) -> None:
    shop, admin = _shop(broken)
    email = _email()
    order = shop.placed_order(email)
    shop.ok(shop.pay(order["id"], "pm_card_visa"))
    assert shop.settles(order["id"], ("paid",))["status"] == "paid"
    assert wait_until(lambda: shop.order_status(order["id"]) == "fulfilled", timeout_s=2) is False
    assert admin.ok(admin.http.get("/api/admin/mailbox", params={"recipient": email}))["items"] == []
    assert httpx.get(f"{broken.api_url}/health").json()["checks"]["worker"] == "ok"  # a silent stall


def test_refund_overpays_accepts_more_than_was_captured(broken) -> None:
    shop, admin = _shop(broken)
    order = shop.placed_order(_email())
    shop.ok(shop.pay(order["id"], "pm_card_visa"))
    paid = shop.settles(order["id"], SETTLED)
    over = admin.ok(
        admin.http.post(f"/api/admin/orders/{order['id']}/refunds", json={"amount": paid["paid_amount"] + 500, "reason": "over"}),
        201,
    )
    assert over["order"]["refunded_amount"] > over["order"]["paid_amount"]


def test_refund_not_recorded_leaves_the_order_unchanged(stack_factory, request: pytest.FixtureRequest) -> None:
    stack = stack_factory("sqlite", faults=("refund_not_recorded",), until=request)
    shop, admin = _shop(stack)
    order = shop.placed_order(_email())
    shop.ok(shop.pay(order["id"], "pm_card_visa"))
    shop.settles(order["id"], SETTLED)
    answer = admin.ok(admin.http.post(f"/api/admin/orders/{order['id']}/refunds", json={"amount": 100, "reason": "x"}), 201)
    assert answer["refund"]["provider_id"].startswith("re_")  # the provider did refund …
    time.sleep(0.5)  # … and its charge.refunded webhook came and went
    after = admin.ok(admin.http.get(f"/api/admin/orders/{order['id']}"))
    assert (after["refunded_amount"], after["refunds"]) == (0, [])  # … but the order does not show it


def test_a_healthy_stack_does_none_of_these(sqlite_stack) -> None:
    shop, admin = _shop(sqlite_stack)
    order = shop.placed_order(_email())
    assert error_code(shop.pay(order["id"], "pm_card_visa_chargeDeclinedInsufficientFunds")) == "card_declined"
    assert shop.ok(shop.pay(order["id"], "pm_card_threeDSecure2Required"))["payment"]["status"] == "requires_action"
