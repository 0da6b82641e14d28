"""Order routes: place an order from a cart (idempotent with Idempotency-Key), read, list mine."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError

from shopflow_stack.api.auth import MAX_ID, Ctx, CustomerOnly, Principal, Who
from shopflow_stack.api.context import test_run_tag
from shopflow_stack.shop import idempotency, orders
from shopflow_stack.shop.errors import ApiError

router = APIRouter(prefix="/api/orders")


class Address(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(default="US", min_length=2, max_length=2)


class NewOrder(BaseModel):
    cart_id: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    shipping_address: Address


def slow_checkout(ctx: Any) -> None:
    """The slow_checkout fault: order creation and payment take N ms longer."""
    if "slow_checkout" in ctx.settings.faults:
        time.sleep(ctx.settings.faults.param("slow_checkout") / 1000)


def viewer(who: Principal) -> int | None:
    """Whose orders this token may read: a customer only their own; service and admin any."""
    return who.customer_id if who.kind == "customer" else None


@router.post("", status_code=201)
def place_order(body: NewOrder, request: Request, ctx: Ctx, who: Who) -> JSONResponse:
    slow_checkout(ctx)
    key = request.headers.get("idempotency-key")
    token = request.headers.get("authorization", "")
    key_scope = idempotency.scope("POST /api/orders", token, key) if key else None
    try:
        with ctx.db.write() as connection:
            if key_scope and (stored := idempotency.reserve(connection, key_scope)):
                return JSONResponse(stored[1], status_code=stored[0])
            order_id = orders.place_order(
                connection,
                cart_id=body.cart_id,
                email=body.email,
                address=body.shipping_address.model_dump(),
                customer_id=viewer(who),
                tag=test_run_tag(request),
            )
            answer = orders.present_order(connection, orders.load_order(connection, order_id))
            if key_scope:
                idempotency.complete(connection, key_scope, 201, answer)
    except IntegrityError:  # PostgreSQL: a concurrent request with the same key won; answer as it did
        with ctx.db.read() as connection:
            stored = idempotency.stored_answer(connection, key_scope) if key_scope else None
        if stored is None:
            raise
        return JSONResponse(stored[1], status_code=stored[0])
    return JSONResponse(answer, status_code=201)


@router.get("")
def my_orders(ctx: Ctx, who: CustomerOnly) -> dict[str, Any]:
    with ctx.db.read() as connection:
        rows = orders.customer_orders(connection, who.customer_id or 0)
        return {"items": [orders.present_order(connection, row) for row in rows]}


@router.get("/{order_id}")
def get_order(order_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, who: Who) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return orders.present_order(connection, orders.load_order(connection, order_id, customer_id=viewer(who)))


__all__ = ["router", "slow_checkout", "viewer", "ApiError"]
