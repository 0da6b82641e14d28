"""Admin payment routes: refunds (made at the provider) and the mailbox."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shopflow_stack.api.auth import MAX_ID, Admin, Ctx
from shopflow_stack.shop import idempotency, mailbox, refunds
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.shop.orders import load_order, present_order, present_refund
from shopflow_stack.shop.provider import ProviderRefused, ProviderUnavailable

router = APIRouter(prefix="/api/admin")


class RefundRequest(BaseModel):
    amount: int | None = Field(default=None, ge=1)
    reason: str = Field(default="requested_by_customer", max_length=500)


@router.post("/orders/{order_id}/refunds", status_code=201)
def refund(
    order_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: RefundRequest, request: Request, ctx: Ctx, _: Admin
) -> JSONResponse:
    faults = ctx.settings.faults
    key = request.headers.get("idempotency-key")
    key_scope = idempotency.scope(f"POST /api/admin/orders/{order_id}/refunds", "admin", key) if key else None
    with ctx.db.write() as connection:  # the key is claimed before the provider is asked
        stored = idempotency.reserve(connection, key_scope) if key_scope else None
    if stored is not None and stored[0] == idempotency.IN_PROGRESS:
        raise ApiError(409, "request_in_progress", "A refund with this Idempotency-Key is still being made.")
    if stored is not None:
        return JSONResponse(stored[1], status_code=stored[0])
    try:
        with ctx.db.read() as connection:
            plan = refunds.plan(connection, order_id, body.amount, faults)
        made = ctx.provider.refund(
            payment_intent=plan.payment_intent,
            amount=plan.charge_amount,
            metadata={"order_id": str(order_id), "reason": body.reason[:400]},
            idempotency_key=f"shop-refund-{order_id}-{key or uuid.uuid4().hex}",
        )
    except ProviderUnavailable:
        _release(ctx, key_scope)
        raise ApiError(
            503, "payment_provider_unavailable", "The payment provider did not answer; nothing was refunded."
        ) from None
    except ProviderRefused as error:
        _release(ctx, key_scope)
        raise ApiError(
            409, "refund_exceeds_captured" if error.code == "amount_too_large" else "refund_refused", str(error)
        ) from None
    except BaseException:
        _release(ctx, key_scope)
        raise
    with ctx.db.write() as connection:
        row = refunds.record(connection, plan, made, body.reason, faults)
        order = present_order(connection, load_order(connection, order_id))
        presented = (
            present_refund(row)
            if row is not None
            else {
                "id": None,
                "provider_id": made.get("id"),
                "amount": made.get("amount"),
                "reason": body.reason,
                "status": made.get("status"),
                "created_at": None,
            }
        )
        answer = {"refund": presented, "order": order}
        if key_scope:
            idempotency.complete(connection, key_scope, 201, answer)
    return JSONResponse(answer, status_code=201)


def _release(ctx: Ctx, key_scope: str | None) -> None:
    if key_scope:
        with ctx.db.write() as connection:
            idempotency.release(connection, key_scope)


@router.get("/mailbox")
def mailbox_for(ctx: Ctx, _: Admin, recipient: str = Query(min_length=3, max_length=254)) -> dict[str, Any]:
    with ctx.db.read() as connection:
        return {"items": mailbox.for_recipient(connection, recipient)}
