"""Resources agree with each other and with the environment at every step of an order's life:
currency, money from cart to refunds, status against amounts and payments, stock.
The rules are shopflow_qa/core/invariants.py's (the journeys and load profiles use them too)."""

from __future__ import annotations

import pytest

from shopflow_qa.core import invariants
from shopflow_qa.core.stock_shapes import LOW_STOCK_MAX, RESERVED_SLUGS

pytestmark = pytest.mark.api
QUANTITY = 2


def _quiet_product(catalogue) -> dict:
    """An in-stock product the journeys and the other API tests do not buy, so its stock moves
    only by this test's order (the last of the catalogue's plentiful ones)."""
    others = [
        p
        for p in catalogue.products
        if p["stock"] > LOW_STOCK_MAX + QUANTITY and p["id"] != catalogue.in_stock["id"] and p["slug"] not in RESERVED_SLUGS
    ]
    if not others:
        pytest.skip("the catalogue has no second in-stock product to watch the stock of")
    return others[-1]


@pytest.mark.nondestructive
def test_every_product_is_in_the_environments_currency(catalogue, shopflow_env) -> None:
    invariants.require(invariants.currency(shopflow_env.currency, {f"product {p['slug']}": p for p in catalogue.products}))


def test_cart_order_payment_and_refunds_agree_at_every_step(api, admin_api, catalogue, cards, shopflow_env, guest_email) -> None:
    currency = shopflow_env.currency
    product = _quiet_product(catalogue)
    before = api.get_product(product["id"])
    # Step 1 — a cart, then its order: same figures, stock taken by exactly what was ordered
    cart = api.fill_cart(product["id"], QUANTITY)
    order = api.create_order(cart["id"], guest_email)
    taken = api.get_product(product["id"])
    invariants.require(
        invariants.currency(currency, {"product": before, "cart": cart})
        + invariants.check_order(currency, order, cart)
        + invariants.stock(before, taken, ordered=QUANTITY)
    )
    # Step 2 — the payment: its answer, then the order the webhook settles
    paid = api.pay(order["id"], cards.success)
    invariants.require(
        invariants.currency(currency, {f"payment {paid['payment']['id']}": paid["payment"]})
        + invariants.check_order(currency, paid["order"])
    )
    settled = api.wait_for_order(order["id"], ("paid", "fulfilled"))
    invariants.require(invariants.check_order(currency, settled))
    # Step 3 — a partial refund, then the rest: amounts and status follow; stock stays (refunds are money only)
    part = admin_api.refund(order["id"], amount=100)["order"]
    invariants.require(invariants.check_order(currency, part))
    rest = admin_api.refund(order["id"], amount=None)["order"]
    invariants.require(
        invariants.check_order(currency, rest) + invariants.stock(taken, api.get_product(product["id"]), ordered=0, restocked=0)
    )
    assert (part["status"], rest["status"]) == ("partially_refunded", "refunded")
