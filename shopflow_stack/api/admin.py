"""Admin API (admin token): orders, customers, a test run's data, seed and reset.

The harness cleans up after itself through these on staging: list and purge a run's tagged
data, delete a test customer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from shopflow_stack.api.auth import MAX_ID, Admin, Ctx
from shopflow_stack.seed import reset_data, seed
from shopflow_stack.shop import customers as shop_customers
from shopflow_stack.shop import orders, testruns
from shopflow_stack.shop.errors import ApiError

router = APIRouter(prefix="/api/admin")


class SeedRequest(BaseModel):
    only: Literal["products", "customers", "orders"] | None = None


@router.get("/orders")
def search_orders(
    ctx: Ctx,
    _: Admin,
    q: str | None = None,
    status: str | None = None,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=100),
) -> dict[str, Any]:
    with ctx.db.read() as connection:
        rows, total = orders.search_orders(connection, text=q, status=status, page=page, per_page=per_page)
        items = [orders.present_order(connection, row) for row in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


@router.get("/orders/{order_id}")
def get_order(order_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, _: Admin) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return orders.present_order(connection, orders.load_order(connection, order_id))


@router.get("/customers")
def search_customers(ctx: Ctx, _: Admin, q: str | None = None) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return {"items": [shop_customers.present_customer(r) for r in shop_customers.search_customers(connection, q)]}


@router.delete("/customers/{customer_id}", status_code=204)
def delete_customer(customer_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, _: Admin) -> Response:
    with ctx.db.write() as connection:
        if not testruns.delete_customer(connection, customer_id):
            raise ApiError(404, "customer_not_found", f"No customer {customer_id}.")
    return Response(status_code=204)


@router.get("/test-runs/{tag}")
def test_run(tag: str, ctx: Ctx, _: Admin) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return testruns.counts(connection, tag)


@router.delete("/test-runs/{tag}")
def purge_test_run(tag: str, ctx: Ctx, _: Admin) -> dict[str, Any]:
    with ctx.db.write() as connection:
        return testruns.purge(connection, tag)


@router.post("/seed")
def seed_data(ctx: Ctx, _: Admin, body: SeedRequest | None = None) -> dict[str, Any]:
    with ctx.db.write() as connection:
        return {"seeded": seed(connection, (body or SeedRequest()).only)}


@router.post("/reset")
def reset(ctx: Ctx, _: Admin) -> dict[str, Any]:
    with ctx.db.write() as connection:
        deleted = reset_data(connection)
    ctx.sessions.revoke_all()
    if ctx.redis is not None:
        ctx.redis.flush()
    return {"deleted": deleted}
