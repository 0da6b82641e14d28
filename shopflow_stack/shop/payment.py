"""Paying an order: reserve a payment attempt, ask the provider, record what it said.

The order's own status moves to `paid` / `payment_failed` only when the provider's webhook
says so (shopflow_stack/shop/webhooks.py), never on the client's word; this module records the
attempt and the `requires_action` step of 3DS. The provider call happens between two short
write transactions, never inside one (a slow provider must not hold the database's lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from shopflow_stack.faults import Faults
from shopflow_stack.shop.clock import now
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.shop.orders import load_order, order_number
from shopflow_stack.shop.provider import Decline
from shopflow_stack.tables import orders, payments

PAYABLE = ("pending", "payment_failed", "requires_action")
WRONG_TOTAL_EXTRA = 100


@dataclass(frozen=True)
class Attempt:
    payment_id: int
    order_id: int
    amount: int
    currency: str
    metadata: dict[str, str]


def start(connection: Connection, order_id: int, payment_method: str, *, customer_id: int | None, faults: Faults) -> Attempt:
    """Check the order may be paid and record a `processing` attempt (one at a time per order)."""
    order = load_order(connection, order_id, customer_id=customer_id)
    if order.status not in PAYABLE:
        raise ApiError(409, "order_not_payable", f"Order {order_number(order.id)} is {order.status}; it cannot be paid.")
    in_flight = connection.execute(
        select(payments.c.id).where(payments.c.order_id == order.id, payments.c.status == "processing")
    ).first()
    if in_flight:
        raise ApiError(409, "payment_in_progress", "A payment for this order is still being processed.")
    amount = order.total + (WRONG_TOTAL_EXTRA if "wrong_total" in faults else 0)
    payment_id = connection.execute(
        insert(payments)
        .values(
            order_id=order.id,
            provider_id=None,
            payment_method=payment_method,
            status="processing",
            amount=amount,
            currency=order.currency,
            created_at=now(),
        )
        .returning(payments.c.id)
    ).scalar_one()
    metadata = {"order_id": str(order.id), "order_number": order_number(order.id), "test_run": order.test_run or ""}
    return Attempt(payment_id, order.id, amount, order.currency, metadata)


def record(connection: Connection, attempt: Attempt, outcome: dict[str, Any] | Decline, faults: Faults) -> Row:
    """Write what the provider answered onto the attempt (and 3DS onto the order); the payment row."""
    if isinstance(outcome, Decline):
        values: dict[str, Any] = {
            "provider_id": outcome.payment_intent.get("id"),
            "status": "failed",
            "decline_code": outcome.decline_code or outcome.code,
            "error_code": outcome.code,
        }
        if "decline_ignored" in faults:  # the shop takes a declined card as paid
            values.update(status="succeeded", decline_code=None, error_code=None)
            _mark_paid(connection, attempt.order_id, attempt.amount)
    else:
        status = outcome["status"]
        redirect = ((outcome.get("next_action") or {}).get("redirect_to_url") or {}).get("url")
        values = {
            "provider_id": outcome["id"],
            "status": status if status in ("succeeded", "requires_action") else "processing",
            "redirect_url": redirect,
        }
        if status == "requires_action" and "skip_3ds" in faults:  # paid without the customer's authentication
            values.update(status="succeeded", redirect_url=None)
            _mark_paid(connection, attempt.order_id, attempt.amount)
        elif status == "requires_action":
            connection.execute(
                update(orders)
                .where(orders.c.id == attempt.order_id, orders.c.status.in_(PAYABLE))
                .values(status="requires_action", updated_at=now())
            )
    connection.execute(update(payments).where(payments.c.id == attempt.payment_id).values(**values))
    return connection.execute(select(payments).where(payments.c.id == attempt.payment_id)).one()


def abandon(connection: Connection, attempt: Attempt, error_code: str) -> None:
    """The provider never answered: the attempt failed with nothing charged."""
    connection.execute(update(payments).where(payments.c.id == attempt.payment_id).values(status="failed", error_code=error_code))


def _mark_paid(connection: Connection, order_id: int, amount: int) -> None:
    from shopflow_stack.shop.jobs import enqueue  # here, not at import: jobs is the worker's concern

    connection.execute(update(orders).where(orders.c.id == order_id).values(status="paid", paid_amount=amount, updated_at=now()))
    enqueue(connection, "order_paid", {"order_id": order_id})
