"""The provider's webhooks: the only way an order becomes `paid` or `payment_failed`.

Events arrive at least once and maybe out of order; each is handled once (its id is kept)
and every state change is guarded so a late event cannot undo a later one.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from shopflow_stack.faults import Faults
from shopflow_stack.shop.clock import now
from shopflow_stack.shop.jobs import enqueue
from shopflow_stack.tables import orders, payments, webhook_events

log = logging.getLogger("shopflow_stack.shop.webhooks")
SETTLED = ("paid", "fulfilled", "partially_refunded", "refunded")


def first_time(connection: Connection, event_id: str, event_type: str) -> bool:
    """Remember the event; False when it was handled before."""
    try:
        with connection.begin_nested():
            connection.execute(insert(webhook_events).values(id=event_id, type=event_type, received_at=now()))
    except IntegrityError:
        return False
    return True


def _payment(connection: Connection, intent: dict[str, Any]) -> Any:
    """Our payment row for this intent. The webhook may beat the pay route's own record of the
    intent's id, so an attempt still `processing` for the order in its metadata is claimed.
    One statement (one snapshot): two would race the pay route's commit under READ COMMITTED."""
    order_id = str((intent.get("metadata") or {}).get("order_id") or "")
    condition = payments.c.provider_id == intent.get("id")
    if order_id.isdigit():
        condition = or_(
            condition,
            and_(payments.c.order_id == int(order_id), payments.c.provider_id.is_(None), payments.c.status == "processing"),
        )
    found = connection.execute(select(payments).where(condition).order_by(payments.c.id.desc())).first()
    if found is not None and found.provider_id is None:
        connection.execute(update(payments).where(payments.c.id == found.id).values(provider_id=intent.get("id")))
    return found


def payment_succeeded(connection: Connection, intent: dict[str, Any]) -> None:
    payment = _payment(connection, intent)
    if payment is None:
        log.warning("payment_intent.succeeded %s matches no payment (metadata %s)", intent.get("id"), intent.get("metadata"))
        return  # not one of ours (another shop on the same provider account)
    connection.execute(
        update(payments)
        .where(payments.c.id == payment.id)
        .values(status="succeeded", redirect_url=None, decline_code=None, error_code=None)
    )
    changed = connection.execute(
        update(orders)
        .where(orders.c.id == payment.order_id, orders.c.status.notin_(SETTLED))
        .values(status="paid", paid_amount=int(intent.get("amount_received") or payment.amount), updated_at=now())
    ).rowcount
    log.info(
        "payment_intent.succeeded %s → order %s (%s)",
        intent.get("id"),
        payment.order_id,
        "paid" if changed else "already settled",
    )
    if changed:
        enqueue(connection, "order_paid", {"order_id": payment.order_id})


def payment_failed(connection: Connection, intent: dict[str, Any], faults: Faults) -> None:
    payment = _payment(connection, intent)
    if payment is None:
        return
    error = intent.get("last_payment_error") or {}
    if "decline_ignored" in faults:
        return  # the shop already took the declined card as paid
    connection.execute(
        update(payments)
        .where(payments.c.id == payment.id, payments.c.status != "succeeded")
        .values(
            status="failed",
            redirect_url=None,
            decline_code=error.get("decline_code") or error.get("code"),
            error_code=error.get("code"),
        )
    )
    connection.execute(
        update(orders)
        .where(orders.c.id == payment.order_id, orders.c.status.notin_(SETTLED))
        .values(status="payment_failed", updated_at=now())
    )


def charge_refunded(connection: Connection, charge: dict[str, Any], faults: Faults) -> None:
    """Refunds made outside the shop (the provider's dashboard) still reach the order."""
    if "refund_not_recorded" in faults:
        return
    payment = connection.execute(select(payments).where(payments.c.provider_id == charge.get("payment_intent"))).first()
    if payment is None:
        return
    refunded = int(charge.get("amount_refunded") or 0)
    order = connection.execute(select(orders).where(orders.c.id == payment.order_id)).one()
    if refunded > order.refunded_amount:
        status = "refunded" if refunded >= order.paid_amount else "partially_refunded"
        connection.execute(
            update(orders).where(orders.c.id == order.id).values(refunded_amount=refunded, status=status, updated_at=now())
        )


def handle(connection: Connection, event: dict[str, Any], faults: Faults) -> None:
    obj = (event.get("data") or {}).get("object") or {}
    kind = event.get("type")
    if kind == "payment_intent.succeeded":
        payment_succeeded(connection, obj)
    elif kind == "payment_intent.payment_failed":
        payment_failed(connection, obj, faults)
    elif kind == "charge.refunded":
        charge_refunded(connection, obj, faults)
