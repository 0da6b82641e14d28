"""Products and categories: listing with pagination, category filter and text search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select

from shopflow_stack.faults import Faults
from shopflow_stack.tables import categories, products

MAX_PER_PAGE = 100


def present_product(row: Row | dict[str, Any], faults: Faults) -> dict[str, Any]:
    product = dict(row._mapping) if isinstance(row, Row) else dict(row)
    body = {
        "id": product["id"],
        "slug": product["slug"],
        "name": product["name"],
        "description": product["description"],
        "category": product["category"],
        "price": product["price"],
        "currency": product["currency"],
        "stock": product["stock"],
        "in_stock": product["stock"] > 0,
        "image_url": product["image_url"],
    }
    if "schema_drift" in faults:  # a deploy renamed a field the storefront and harness rely on
        body["unit_price"] = body.pop("price")
    return body


def list_products(
    connection: Connection, *, page: int, per_page: int, category: str | None, text: str | None
) -> tuple[Sequence[Row], int]:
    query = select(products)
    if category:
        query = query.where(products.c.category == category)
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(or_(func.lower(products.c.name).like(pattern), func.lower(products.c.description).like(pattern)))
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(query.order_by(products.c.id).limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def get_product(connection: Connection, *, product_id: int | None = None, slug: str | None = None) -> Row | None:
    column, value = (products.c.id, product_id) if product_id is not None else (products.c.slug, slug)
    return connection.execute(select(products).where(column == value)).first()


def list_categories(connection: Connection) -> list[dict[str, Any]]:
    counts = select(products.c.category, func.count().label("n")).group_by(products.c.category).subquery()
    rows = connection.execute(
        select(categories.c.slug, categories.c.name, func.coalesce(counts.c.n, 0))
        .select_from(categories.outerjoin(counts, counts.c.category == categories.c.slug))
        .order_by(categories.c.position, categories.c.slug)
    ).all()
    return [{"slug": slug, "name": name, "product_count": int(n)} for slug, name, n in rows]
