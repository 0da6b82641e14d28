"""Payment routes: POST /api/orders/{id}/pay (idempotent) and the provider's webhook."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Annotated, Any

import stripe
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shopflow_stack.api.auth import MAX_ID, Ctx, Who
from shopflow_stack.api.orders import slow_checkout, viewer
from shopflow_stack.security.origins import is_on
from shopflow_stack.shop import idempotency, payment, webhooks
from shopflow_stack.shop.errors import ApiError
from shopflow_stack.shop.orders import load_order, present_order, present_payment
from shopflow_stack.shop.provider import Decline, ProviderRefused, ProviderUnavailable

log = logging.getLogger("shopflow_stack.api.pay")
router = APIRouter()


class PayRequest(BaseModel):
    payment_method: str = Field(min_length=3, max_length=120, pattern=r"^pm_[A-Za-z0-9_]+$")
    return_url: str | None = Field(default=None, max_length=500)


def _answer(ctx: Any, order_id: int, payment_row: Any, decline: Decline | None) -> tuple[int, dict[str, Any]]:
    with ctx.db.read() as connection:
        order = present_order(connection, load_order(connection, order_id))
    body: dict[str, Any] = {"order": order, "payment": present_payment(payment_row)}
    if decline is None or payment_row.status == "succeeded":
        return 200, body
    return 402, {"error": {"code": decline.code, "decline_code": decline.decline_code, "message": decline.message}, **body}


@router.post("/api/orders/{order_id}/pay")
def pay(order_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: PayRequest, request: Request, ctx: Ctx, who: Who) -> JSONResponse:
    if body.return_url is not None and not is_on(body.return_url, ctx.settings.shop_origins):
        # The provider sends the shopper there with the payment's client secret in the query.
        raise ApiError(
            400, "invalid_return_url", f"return_url must be a page of the shop itself ({', '.join(ctx.settings.shop_origins)})."
        )
    slow_checkout(ctx)
    faults = ctx.settings.faults
    key = request.headers.get("idempotency-key")
    key_scope = (
        idempotency.scope(f"POST /api/orders/{order_id}/pay", request.headers.get("authorization", ""), key) if key else None
    )
    with ctx.db.write() as connection:  # the key is claimed with the attempt, before the provider is asked
        stored = idempotency.reserve(connection, key_scope) if key_scope else None
        if stored is None:
            attempt = payment.start(connection, order_id, body.payment_method, customer_id=viewer(who), faults=faults)
    if stored is not None and stored[0] == idempotency.IN_PROGRESS:
        raise ApiError(409, "payment_in_progress", "A payment with this Idempotency-Key is still being processed.")
    if stored is not None:
        return JSONResponse(stored[1], status_code=stored[0])
    try:
        outcome = ctx.provider.charge(
            amount=attempt.amount,
            currency=attempt.currency,
            payment_method=body.payment_method,
            return_url=body.return_url,
            metadata=attempt.metadata,
            # unique per attempt: a reset stack's order ids repeat, the provider's memory does not
            idempotency_key=f"shop-pay-{attempt.order_id}-{attempt.payment_id}-{uuid.uuid4().hex}",
        )
    except ProviderUnavailable as error:
        log.warning("payment provider unavailable for order %s: %s", order_id, error)
        with ctx.db.write() as connection:
            payment.abandon(connection, attempt, "payment_provider_unavailable")
            if key_scope:
                idempotency.release(connection, key_scope)
        raise ApiError(503, "payment_provider_unavailable", "The payment provider did not answer; nothing was charged.") from None
    except ProviderRefused as error:
        with ctx.db.write() as connection:
            payment.abandon(connection, attempt, error.code or "payment_refused")
            if key_scope:
                idempotency.release(connection, key_scope)
        raise ApiError(422, "invalid_payment_method", str(error)) from None
    except BaseException:  # never leave the order blocked by an attempt that will not finish
        with ctx.db.write() as connection:
            payment.abandon(connection, attempt, "internal_error")
            if key_scope:
                idempotency.release(connection, key_scope)
        raise
    with ctx.db.write() as connection:
        row = payment.record(connection, attempt, outcome, faults)
    status, answer = _answer(ctx, attempt.order_id, row, outcome if isinstance(outcome, Decline) else None)
    if "currency_mixup" in faults:  # this one answer names another currency than the order's
        answer["payment"]["currency"] = "EUR" if attempt.currency != "EUR" else "USD"
    if key_scope:
        with ctx.db.write() as connection:
            idempotency.complete(connection, key_scope, status, answer)
    return JSONResponse(answer, status_code=status)


@router.post("/webhooks/stripe")
async def provider_webhook(request: Request, ctx: Ctx) -> JSONResponse:
    payload = (await request.body()).decode("utf-8", errors="replace")
    try:
        # verifies the signature (the event itself is read from the payload below)
        stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature", ""), ctx.settings.webhook_secret)
    except (stripe.SignatureVerificationError, ValueError):
        raise ApiError(400, "invalid_signature", "The Stripe-Signature header does not match this payload.") from None
    data = json.loads(payload)
    with ctx.db.write() as connection:
        if webhooks.first_time(connection, data["id"], data.get("type", "")):
            webhooks.handle(connection, data, ctx.settings.faults)
            return JSONResponse({"received": True})
    return JSONResponse({"received": True, "duplicate": True})
