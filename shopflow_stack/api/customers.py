"""Customer sign-up, sign-in and `me`: each sign-up or sign-in returns a customer token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shopflow_stack.api.auth import Ctx, CustomerOnly, Who
from shopflow_stack.api.context import test_run_tag
from shopflow_stack.shop import customers as shop_customers
from shopflow_stack.shop.errors import ApiError

router = APIRouter(prefix="/api")


class SignUp(BaseModel):
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=8, max_length=200)
    name: str = Field(min_length=1, max_length=200)


class SignIn(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=200)


@router.post("/customers", status_code=201)
def sign_up(body: SignUp, request: Request, ctx: Ctx, _: Who) -> JSONResponse:
    with ctx.db.write() as connection:
        row = shop_customers.create_customer(
            connection, email=body.email, password=body.password, name=body.name, tag=test_run_tag(request)
        )
    token = ctx.sessions.issue(row.id)
    return JSONResponse({"customer": shop_customers.present_customer(row), "token": token}, status_code=201)


@router.post("/auth/sign-in")
def sign_in(body: SignIn, ctx: Ctx, _: Who) -> dict[str, Any]:
    with ctx.db.read() as connection:
        row = shop_customers.authenticate(connection, body.email, body.password)
    return {"customer": shop_customers.present_customer(row), "token": ctx.sessions.issue(row.id)}


@router.get("/customers/me")
def me(ctx: Ctx, who: CustomerOnly) -> dict[str, Any]:
    with ctx.db.read() as connection:
        row = shop_customers.get_customer(connection, who.customer_id or 0)
    if row is None:  # the account was deleted while the token lived on
        raise ApiError(401, "unauthorized", "This customer no longer exists.")
    return shop_customers.present_customer(row)
