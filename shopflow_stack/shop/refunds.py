"""Refunds by staff: checked against what was captured, made at the provider, recorded.

The refund is recorded on the order as soon as the provider accepts it (staff see it at
once); the provider's `charge.refunded` webhook, which may arrive before or after, agrees.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Row, func, insert, select, update

from shopflow_stack.faults import Faults
from shopflow_stack.shop.clock import now
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.shop.jobs import enqueue
from shopflow_stack.shop.orders import load_order, order_number
from shopflow_stack.tables import orders, payments, refunds


@dataclass(frozen=True)
class Plan:
    order_id: int
    payment_intent: str
    amount: int
    charge_amount: int  # what the provider is asked to refund (≤ what is left there)


def plan(connection: Connection, order_id: int, amount: int | None, faults: Faults) -> Plan:
    order = load_order(connection, order_id)
    payment = connection.execute(
        select(payments).where(payments.c.order_id == order.id, payments.c.status == "succeeded").order_by(payments.c.id.desc())
    ).first()
    if order.paid_amount <= 0 or payment is None or not payment.provider_id:
        raise ApiError(409, "order_not_paid", f"Order {order_number(order.id)} has not been paid.")
    left = order.paid_amount - order.refunded_amount
    wanted = left if amount is None else amount
    if wanted <= 0:
        raise ApiError(
            422 if amount is not None else 409,
            "invalid_request" if amount is not None else "refund_exceeds_captured",
            "Nothing is left to refund." if amount is None else "The amount must be positive.",
        )
    if wanted > left and "refund_overpays" not in faults:
        raise ApiError(
            409,
            "refund_exceeds_captured",
            f"Only {left} of {order.paid_amount} is left to refund.",
            error_fields={"refundable": left},
        )
    return Plan(order.id, payment.provider_id, wanted, min(wanted, max(left, 0)) or wanted)


def record(connection: Connection, refund_plan: Plan, provider_refund: dict, reason: str, faults: Faults) -> Row | None:
    """Record the provider's refund on the order (unless refund_not_recorded); the refund row."""
    if "refund_not_recorded" in faults:
        return None
    refund_id = connection.execute(
        insert(refunds)
        .values(
            order_id=refund_plan.order_id,
            provider_id=provider_refund.get("id"),
            amount=refund_plan.amount,
            reason=reason,
            status=provider_refund.get("status") or "succeeded",
            created_at=now(),
        )
        .returning(refunds.c.id)
    ).scalar_one()
    order = connection.execute(select(orders).where(orders.c.id == refund_plan.order_id)).one()
    recorded = connection.execute(
        select(func.coalesce(func.sum(refunds.c.amount), 0)).where(refunds.c.order_id == order.id)
    ).scalar_one()
    # The provider's charge.refunded webhook may have got here first with its own total:
    # both are the same money, so the order shows the larger, never the sum.
    refunded = max(order.refunded_amount, int(recorded))
    connection.execute(
        update(orders)
        .where(orders.c.id == order.id)
        .values(
            refunded_amount=refunded,
            status="refunded" if refunded >= order.paid_amount else "partially_refunded",
            updated_at=now(),
        )
    )
    enqueue(connection, "refund_issued", {"order_id": order.id, "refund_id": refund_id})
    return connection.execute(select(refunds).where(refunds.c.id == refund_id)).one()
