"""The mailbox: emails the worker "sends" are rows the admin API lists (local and staging only).

Each (order, kind) is sent at most once, so a job that runs twice after a crash does not
send a customer two confirmations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, insert, select

from shopflow_stack.shop.clock import iso, now
from shopflow_stack.shop.orders import order_number
from shopflow_stack.tables import emails


def _money(minor: int) -> str:
    return f"${minor / 100:,.2f}"


MESSAGES = {
    "confirmation": (
        "Your ShopFlow order {number} is confirmed",
        "Thank you for your order {number}. We received your payment of {paid} and will send your items soon.",
    ),
    "refund": (
        "Refund for your ShopFlow order {number}",
        "We refunded {refunded} in total for order {number}. It reaches your card in 5–10 days.",
    ),
}


def send_once(connection: Connection, order: Row, kind: str, key: str) -> bool:
    """Send email `kind` for `order` unless one with the same subject was sent; True if sent now."""
    number = order_number(order.id)
    subject, body = MESSAGES[kind]
    words = {"number": number, "paid": _money(order.paid_amount), "refunded": _money(order.refunded_amount)}
    subject = subject.format(**words) + (f" ({key})" if kind == "refund" else "")
    already = connection.execute(
        select(func.count()).select_from(emails).where(emails.c.order_id == order.id, emails.c.subject == subject)
    ).scalar_one()
    if already:
        return False
    connection.execute(
        insert(emails).values(
            to=order.email,
            subject=subject,
            body=body.format(**words),
            order_id=order.id,
            order_number=number,
            sent_at=now(),
            test_run=order.test_run,
        )
    )
    return True


def for_recipient(connection: Connection, recipient: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(emails).where(func.lower(emails.c.to) == recipient.strip().lower()).order_by(emails.c.id)
    ).all()
    return [
        {"id": r.id, "to": r.to, "subject": r.subject, "body": r.body, "order_number": r.order_number, "sent_at": iso(r.sent_at)}
        for r in rows
    ]
