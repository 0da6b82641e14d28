"""Catalogue routes: products (paged, filtered, searched), one product, categories."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from shopflow_stack.api.auth import MAX_ID, Ctx, Who
from shopflow_stack.shop import catalogue
from shopflow_stack.shop.errors import ApiError

router = APIRouter(prefix="/api")


@router.get("/products")
def list_products(
    ctx: Ctx,
    _: Who,
    page: int = Query(1, ge=1, le=1000),
    per_page: int = Query(20, ge=1, le=catalogue.MAX_PER_PAGE),
    category: str | None = Query(None, pattern=r"^[a-z0-9-]{1,40}$"),
    q: str | None = Query(None, max_length=60),
) -> dict[str, Any]:
    with ctx.db.read() as connection:
        rows, total = catalogue.list_products(connection, page=page, per_page=per_page, category=category, text=q)
    return {
        "items": [catalogue.present_product(r, ctx.settings.faults) for r in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


@router.get("/products/by-slug/{slug}")
def product_by_slug(slug: str, ctx: Ctx, _: Who) -> dict[str, Any]:
    with ctx.db.read() as connection:
        row = catalogue.get_product(connection, slug=slug)
    if row is None:
        raise ApiError(404, "product_not_found", f"No product '{slug}'.")
    return catalogue.present_product(row, ctx.settings.faults)


@router.get("/products/{product_id}")
def product(product_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, _: Who) -> dict[str, Any]:
    with ctx.db.read() as connection:
        row = catalogue.get_product(connection, product_id=product_id)
    if row is None:
        raise ApiError(404, "product_not_found", f"No product {product_id}.")
    return catalogue.present_product(row, ctx.settings.faults)


@router.get("/categories")
def categories(ctx: Ctx, _: Who) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return {"items": catalogue.list_categories(connection)}
