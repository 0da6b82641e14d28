"""A test run's data, by its X-ShopFlow-Test-Run tag: counted, and purged after the run.

Purging gives back the stock of the purged orders, as cancelling them would: test orders
never ship, and a shop that only ever lost stock to its tests would sell out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, or_, select, update

from shopflow_stack.tables import carts, customers, emails, order_lines, orders, products


def counts(connection: Connection, tag: str) -> dict[str, int | str]:
    def count(table: Any) -> int:
        return connection.execute(select(func.count()).select_from(table).where(table.c.test_run == tag)).scalar_one()

    return {"tag": tag, "customers": count(customers), "carts": count(carts), "orders": count(orders)}


def _delete_orders(connection: Connection, condition: ColumnElement[bool]) -> int:
    """Delete matching orders (lines, payments, refunds, mail go with them) and restock."""
    ids = [row.id for row in connection.execute(select(orders.c.id).where(condition, orders.c.seeded.is_(False)))]
    if not ids:
        return 0
    taken = connection.execute(
        select(order_lines.c.product_id, func.sum(order_lines.c.quantity))
        .where(order_lines.c.order_id.in_(ids))
        .group_by(order_lines.c.product_id)
    ).all()
    for product_id, quantity in sorted(taken):  # a fixed order: concurrent purges cannot deadlock
        connection.execute(update(products).where(products.c.id == product_id).values(stock=products.c.stock + quantity))
    connection.execute(delete(emails).where(emails.c.order_id.in_(ids)))
    return connection.execute(delete(orders).where(orders.c.id.in_(ids))).rowcount


def purge(connection: Connection, tag: str) -> dict[str, int | str]:
    tagged_customers = select(customers.c.id).where(customers.c.test_run == tag)
    deleted_orders = _delete_orders(connection, or_(orders.c.test_run == tag, orders.c.customer_id.in_(tagged_customers)))
    deleted_carts = connection.execute(
        delete(carts).where(or_(carts.c.test_run == tag, carts.c.customer_id.in_(tagged_customers)))
    ).rowcount
    connection.execute(delete(emails).where(emails.c.test_run == tag))
    deleted_customers = connection.execute(delete(customers).where(customers.c.test_run == tag)).rowcount
    return {"tag": tag, "customers": deleted_customers, "carts": deleted_carts, "orders": deleted_orders}


def delete_customer(connection: Connection, customer_id: int) -> bool:
    """The customer with their carts and orders; False when there was no such customer."""
    _delete_orders(connection, orders.c.customer_id == customer_id)
    connection.execute(delete(carts).where(carts.c.customer_id == customer_id))
    return connection.execute(delete(customers).where(customers.c.id == customer_id)).rowcount == 1
