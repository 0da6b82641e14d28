"""Cart routes: create, read, add/update/remove lines, shipping method."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shopflow_stack.api.auth import MAX_ID, Ctx, Principal, Who
from shopflow_stack.api.context import test_run_tag
from shopflow_stack.shop import carts

router = APIRouter(prefix="/api/carts")


class NewLine(BaseModel):
    product_id: int
    quantity: int = 1


class Quantity(BaseModel):
    quantity: int


class CartUpdate(BaseModel):
    shipping_method: Literal["standard", "express"]


def _owner(who: Principal) -> int | None:
    return who.customer_id if who.kind == "customer" else None


@router.post("", status_code=201)
def create_cart(request: Request, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as connection:
        cart_id = carts.new_cart(connection, customer_id=_owner(who), tag=test_run_tag(request))
        body = carts.present_cart(connection, carts.load_cart(connection, cart_id))
    return JSONResponse(body, status_code=201)


@router.get("/{cart_id}")
def get_cart(cart_id: str, ctx: Ctx, who: Who) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return carts.present_cart(connection, carts.load_cart(connection, cart_id, customer_id=_owner(who)))


@router.post("/{cart_id}/lines", status_code=201)
def add_line(cart_id: str, line: NewLine, ctx: Ctx, who: Who) -> JSONResponse:
    with ctx.db.write() as connection:
        carts.open_cart(connection, cart_id, customer_id=_owner(who))
        carts.add_line(connection, cart_id, line.product_id, line.quantity)
        body = carts.present_cart(connection, carts.load_cart(connection, cart_id))
    return JSONResponse(body, status_code=201)


@router.patch("/{cart_id}/lines/{line_id}")
def update_line(
    cart_id: str, line_id: Annotated[int, Path(ge=1, le=MAX_ID)], change: Quantity, ctx: Ctx, who: Who
) -> dict[str, Any]:
    with ctx.db.write() as connection:
        carts.open_cart(connection, cart_id, customer_id=_owner(who))
        carts.set_quantity(connection, cart_id, line_id, change.quantity)
        return carts.present_cart(connection, carts.load_cart(connection, cart_id))


@router.delete("/{cart_id}/lines/{line_id}")
def remove_line(cart_id: str, line_id: Annotated[int, Path(ge=1, le=MAX_ID)], ctx: Ctx, who: Who) -> dict[str, Any]:
    with ctx.db.write() as connection:
        carts.open_cart(connection, cart_id, customer_id=_owner(who))
        carts.remove_line(connection, cart_id, line_id)
        return carts.present_cart(connection, carts.load_cart(connection, cart_id))


@router.patch("/{cart_id}")
def update_cart(cart_id: str, change: CartUpdate, ctx: Ctx, who: Who) -> dict[str, Any]:
    with ctx.db.write() as connection:
        carts.open_cart(connection, cart_id, customer_id=_owner(who))
        carts.set_shipping(connection, cart_id, change.shipping_method)
        return carts.present_cart(connection, carts.load_cart(connection, cart_id))
