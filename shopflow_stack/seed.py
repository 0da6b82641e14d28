"""Seed data from shopflow_stack/data/catalogue.toml, idempotently, and the data reset of the admin API.

Seeding twice leaves the same data: products are matched by slug (their stock is left as it
is — `reset` restores it), customers by email, demo orders only made when none exist.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from shopflow_stack.paths import PACKAGE_DATA
from shopflow_stack.shop.clock import now
from shopflow_stack.shop.customers import create_customer
from shopflow_stack.tables import (
    carts,
    categories,
    customers,
    emails,
    idempotency_keys,
    jobs,
    order_lines,
    orders,
    products,
    sessions,
    webhook_events,
)

CATALOGUE_FILE = PACKAGE_DATA / "catalogue.toml"
SEED_PARTS = ("products", "customers", "orders")


@lru_cache(maxsize=1)
def seed_document(path: Path = CATALOGUE_FILE) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def seed_products(connection: Connection) -> int:
    document = seed_document()
    for position, category in enumerate(document["categories"]):
        exists = connection.execute(select(categories.c.slug).where(categories.c.slug == category["slug"])).first()
        values = {"name": category["name"], "position": position}
        if exists:
            connection.execute(update(categories).where(categories.c.slug == category["slug"]).values(**values))
        else:
            connection.execute(insert(categories).values(slug=category["slug"], **values))
    for item in document["products"]:
        values = {
            "name": item["name"],
            "description": item.get("description", ""),
            "category": item["category"],
            "price": item["price"],
            "currency": "USD",
            "seed_stock": item["stock"],
            "image_url": item.get("image_url"),
        }
        exists = connection.execute(select(products.c.id).where(products.c.slug == item["slug"])).first()
        if exists:
            connection.execute(update(products).where(products.c.slug == item["slug"]).values(**values))
        else:
            connection.execute(insert(products).values(slug=item["slug"], stock=item["stock"], **values))
    return len(document["products"])


def seed_customers(connection: Connection) -> int:
    for person in seed_document().get("customers", []):
        if not connection.execute(select(customers.c.id).where(customers.c.email == person["email"])).first():
            create_customer(
                connection, email=person["email"], password=person["password"], name=person["name"], tag=None, seeded=True
            )
    return len(seed_document().get("customers", []))


def seed_orders(connection: Connection) -> int:
    """A few fulfilled orders of the first demo customer, for the admin's lists; they take no stock."""
    if connection.execute(select(func.count()).select_from(orders).where(orders.c.seeded.is_(True))).scalar_one():
        return connection.execute(select(func.count()).select_from(orders).where(orders.c.seeded.is_(True))).scalar_one()
    seed_customers(connection)
    person = seed_document()["customers"][0]
    customer = connection.execute(select(customers).where(customers.c.email == person["email"])).one()
    picks = connection.execute(select(products).order_by(products.c.id).limit(3)).all()
    address = {"name": customer.name, "line1": "1 Demo Street", "city": "Springfield", "postal_code": "12345", "country": "US"}
    for product in picks:
        moment = now()
        tax = (product.price * 8 + 50) // 100
        total = product.price + 500 + tax
        order_id = connection.execute(
            insert(orders)
            .values(
                status="fulfilled",
                email=customer.email,
                customer_id=customer.id,
                cart_id=None,
                shipping_method="standard",
                shipping_address=address,
                currency="USD",
                subtotal=product.price,
                shipping=500,
                tax=tax,
                total=total,
                paid_amount=total,
                refunded_amount=0,
                seeded=True,
                created_at=moment,
                updated_at=moment,
                fulfilled_at=moment,
                test_run=None,
            )
            .returning(orders.c.id)
        ).scalar_one()
        connection.execute(
            insert(order_lines).values(
                order_id=order_id,
                product_id=product.id,
                name=product.name,
                unit_price=product.price,
                quantity=1,
                line_total=product.price,
            )
        )
    return len(picks)


def seed(connection: Connection, only: str | None = None) -> dict[str, int]:
    parts = SEED_PARTS if only is None else (only,)
    done: dict[str, int] = {}
    for part in SEED_PARTS:
        if part in parts:
            done[part] = {"products": seed_products, "customers": seed_customers, "orders": seed_orders}[part](connection)
    return done


def reset_data(connection: Connection) -> dict[str, int]:
    """Empty carts, orders, customers (and what hangs off them), restore seeded stock, seed again."""
    deleted = {
        "orders": connection.execute(delete(orders)).rowcount,
        "carts": connection.execute(delete(carts)).rowcount,
        "customers": connection.execute(delete(customers)).rowcount,
    }
    for table in (emails, jobs, idempotency_keys, webhook_events, sessions):
        connection.execute(delete(table))
    connection.execute(update(products).values(stock=products.c.seed_stock))
    seed(connection)
    return deleted
