"""Orders: placed from a cart with stock taken atomically; read back with lines, payments, refunds.

Stock is taken with `UPDATE products SET stock = stock - n WHERE id = ? AND stock >= n`
inside the order's write transaction: under PostgreSQL the row lock makes the check and the
change one step, under SQLite the transaction holds the write lock from BEGIN (shopflow_stack/db.py).
So stock never goes negative, and a line that no longer fits rolls the whole order back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, func, insert, or_, select, update

from shopflow_stack.shop import pricing
from shopflow_stack.shop.carts import cart_lines_with_products, open_cart
from shopflow_stack.shop.clock import iso, now
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.tables import carts, order_lines, orders, payments, products, refunds

NUMBER_PREFIX = "SF-"


def order_number(order_id: int) -> str:
    return f"{NUMBER_PREFIX}{order_id:06d}"


def id_from_number(text: str) -> int | None:
    """`SF-000123` (any case, leading zeros optional) → 123; None when it is not a number."""
    value = text.strip().upper()
    value = value[len(NUMBER_PREFIX) :] if value.startswith(NUMBER_PREFIX) else value
    return int(value) if value.isdigit() else None


def place_order(
    connection: Connection, *, cart_id: str, email: str, address: dict[str, str], customer_id: int | None, tag: str | None
) -> int:
    """Turn an open cart into a pending order; the new order's id. Runs in a write transaction."""
    cart = open_cart(connection, cart_id, customer_id=customer_id)
    lines = cart_lines_with_products(connection, cart_id)
    if not lines:
        raise ApiError(409, "cart_empty", "The cart has no lines.")
    for line in lines:
        taken = connection.execute(
            update(products)
            .where(products.c.id == line.product_id, products.c.stock >= line.quantity)
            .values(stock=products.c.stock - line.quantity)
        ).rowcount
        if taken != 1:
            available = connection.execute(select(products.c.stock).where(products.c.id == line.product_id)).scalar()
            raise ApiError(
                409,
                "out_of_stock",
                f"Only {available} of {line.name} left.",
                error_fields={"product_id": line.product_id, "available": available},
            )
    line_totals = [line.price * line.quantity for line in lines]
    sums = pricing.totals(line_totals, [line.quantity for line in lines], cart.shipping_method)
    moment = now()
    order_id = connection.execute(
        insert(orders)
        .values(
            status="pending",
            email=email.strip().lower(),
            customer_id=customer_id or cart.customer_id,
            cart_id=cart_id,
            shipping_method=cart.shipping_method,
            shipping_address=address,
            currency="USD",
            subtotal=sums.subtotal,
            shipping=sums.shipping,
            tax=sums.tax,
            total=sums.total,
            paid_amount=0,
            refunded_amount=0,
            seeded=False,
            created_at=moment,
            updated_at=moment,
            test_run=tag or cart.test_run,
        )
        .returning(orders.c.id)
    ).scalar_one()
    connection.execute(
        insert(order_lines),
        [
            {
                "order_id": order_id,
                "product_id": line.product_id,
                "name": line.name,
                "unit_price": line.price,
                "quantity": line.quantity,
                "line_total": total,
            }
            for line, total in zip(lines, line_totals, strict=True)
        ],
    )
    connection.execute(update(carts).where(carts.c.id == cart_id).values(closed=True))
    return order_id


def load_order(connection: Connection, order_id: int, *, customer_id: int | None = None) -> Row:
    """The order row, or 404; a customer sees only their own orders."""
    order = connection.execute(select(orders).where(orders.c.id == order_id)).first()
    if order is None or (customer_id is not None and order.customer_id != customer_id):
        raise ApiError(404, "order_not_found", f"No order {order_id}.")
    return order


def present_payment(row: Row) -> dict[str, Any]:
    next_action = (
        {"type": "redirect_to_url", "redirect_url": row.redirect_url}
        if row.redirect_url and row.status == "requires_action"
        else None
    )
    return {
        "id": row.id,
        "provider_id": row.provider_id,
        "status": row.status,
        "amount": row.amount,
        "currency": row.currency,
        "decline_code": row.decline_code,
        "next_action": next_action,
        "created_at": iso(row.created_at),
    }


def present_refund(row: Row) -> dict[str, Any]:
    return {
        "id": row.id,
        "provider_id": row.provider_id,
        "amount": row.amount,
        "reason": row.reason,
        "status": row.status,
        "created_at": iso(row.created_at),
    }


def present_order(connection: Connection, order: Row) -> dict[str, Any]:
    lines = connection.execute(select(order_lines).where(order_lines.c.order_id == order.id).order_by(order_lines.c.id)).all()
    payment_rows = connection.execute(select(payments).where(payments.c.order_id == order.id).order_by(payments.c.id)).all()
    refund_rows = connection.execute(select(refunds).where(refunds.c.order_id == order.id).order_by(refunds.c.id)).all()
    return {
        "id": order.id,
        "number": order_number(order.id),
        "status": order.status,
        "email": order.email,
        "customer_id": order.customer_id,
        "lines": [
            {
                "id": r.id,
                "product_id": r.product_id,
                "name": r.name,
                "unit_price": r.unit_price,
                "quantity": r.quantity,
                "line_total": r.line_total,
            }
            for r in lines
        ],
        "shipping_method": order.shipping_method,
        "shipping_address": order.shipping_address,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "shipping": order.shipping,
        "tax": order.tax,
        "total": order.total,
        "paid_amount": order.paid_amount,
        "refunded_amount": order.refunded_amount,
        "payments": [present_payment(r) for r in payment_rows],
        "refunds": [present_refund(r) for r in refund_rows],
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "fulfilled_at": iso(order.fulfilled_at),
        "test_run": order.test_run,
    }


def customer_orders(connection: Connection, customer_id: int) -> Sequence[Row]:
    return connection.execute(
        select(orders).where(orders.c.customer_id == customer_id).order_by(orders.c.created_at.desc(), orders.c.id.desc())
    ).all()


def search_orders(
    connection: Connection, *, text: str | None, status: str | None, page: int, per_page: int
) -> tuple[Sequence[Row], int]:
    """Admin search: by order number or (part of) the email, and by status; newest first."""
    query = select(orders)
    if text:
        number = id_from_number(text)
        conditions: list[ColumnElement[bool]] = [func.lower(orders.c.email).like(f"%{text.strip().lower()}%")]
        if number is not None:
            conditions.append(orders.c.id == number)
        query = query.where(or_(*conditions))
    if status:
        query = query.where(orders.c.status == status)
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(query.order_by(orders.c.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total
