"""Stripe's HTTP API subset (`/v1/…`): authentication, form decoding, idempotency, routing.

Idempotency as Stripe does it: a POST with `Idempotency-Key` is executed once per API key;
a repeat with the same parameters gets the first response again (status and body, with
`Idempotent-Replayed: true`), with other parameters a 400 idempotency_error. Card errors
are stored and replayed too; server errors are not (a retry may succeed).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from shopflow_stack.payments import keys
from shopflow_stack.payments.engine import Sandbox
from shopflow_stack.payments.errors import StripeError, idempotency, invalid_request
from shopflow_stack.payments.forms import decode
from shopflow_stack.payments.objects import public
from shopflow_stack.settings import Settings

log = logging.getLogger("shopflow_stack.payments.api")
Handler = Callable[[dict[str, Any], str | None], dict[str, Any]]


def _stripe_response(status: int, body: dict[str, Any], replayed: bool = False) -> JSONResponse:
    headers = {"Request-Id": "req_sandbox", "Stripe-Version": "2024-06-20"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)


def build_router(settings: Settings, sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/v1")

    async def call(request: Request, handler: Handler, *, publishable_ok: bool = False) -> JSONResponse:
        try:
            key = keys.key_from_header(request.headers.get("authorization"))
            kind = keys.classify(settings, key)
            if kind == "publishable" and not publishable_ok:
                raise StripeError(
                    401,
                    {
                        "type": "invalid_request_error",
                        "message": "This API call cannot be made with a publishable API key. Please use a secret API key.",
                    },
                )
            raw = (await request.body()).decode() if request.method == "POST" else str(request.url.query)
            params = decode(raw)
        except StripeError as error:
            return _stripe_response(error.status, error.body())
        idem_key = request.headers.get("idempotency-key") if request.method == "POST" else None
        status, body, replayed = await run_in_threadpool(
            _execute, sandbox, handler, params, idem_key, keys.scope(key), f"{request.method} {request.url.path}"
        )
        return _stripe_response(status, body, replayed)

    @router.post("/payment_methods")
    async def create_payment_method(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.create_payment_method(p), publishable_ok=True)

    @router.get("/payment_methods/{pm_id}")
    async def retrieve_payment_method(pm_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.retrieve_payment_method(pm_id))

    @router.post("/payment_intents")
    async def create_payment_intent(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: _expand(sandbox, sandbox.create_payment_intent(p, k), p))

    @router.get("/payment_intents/{pi_id}")
    async def retrieve_payment_intent(pi_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: _expand(sandbox, sandbox.retrieve_payment_intent(pi_id), p))

    @router.post("/payment_intents/{pi_id}/confirm")
    async def confirm_payment_intent(pi_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: _expand(sandbox, sandbox.confirm_payment_intent(pi_id, p, k), p))

    @router.post("/payment_intents/{pi_id}/capture")
    async def capture_payment_intent(pi_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.capture_payment_intent(pi_id, p))

    @router.post("/payment_intents/{pi_id}/cancel")
    async def cancel_payment_intent(pi_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.cancel_payment_intent(pi_id, p))

    @router.get("/charges")
    async def list_charges(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.list_charges(p))

    @router.get("/charges/{charge_id}")
    async def retrieve_charge(charge_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.retrieve_charge(charge_id))

    @router.post("/refunds")
    async def create_refund(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.create_refund(p, k))

    @router.get("/refunds")
    async def list_refunds(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.list_refunds(p))

    @router.get("/refunds/{refund_id}")
    async def retrieve_refund(refund_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.retrieve_refund(refund_id))

    @router.get("/events")
    async def list_events(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.list_events(p))

    @router.get("/events/{event_id}")
    async def retrieve_event(event_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.retrieve_event(event_id))

    @router.post("/webhook_endpoints")
    async def create_webhook_endpoint(request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.create_webhook_endpoint(p))

    @router.delete("/webhook_endpoints/{endpoint_id}")
    async def delete_webhook_endpoint(endpoint_id: str, request: Request) -> JSONResponse:
        return await call(request, lambda p, k: sandbox.delete_webhook_endpoint(endpoint_id))

    @router.api_route("/{rest:path}", methods=["GET", "POST", "DELETE"])
    async def unknown(rest: str, request: Request) -> JSONResponse:
        error = invalid_request(
            f"Unrecognized request URL ({request.method}: /v1/{rest}). "
            "The payment sandbox serves only the subset in shopflow_stack/payments/README.md.",
            status=404,
        )
        return _stripe_response(error.status, error.body())

    return router


def _expand(sandbox: Sandbox, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Honour `expand[]=latest_charge` / `payment_method` on PaymentIntents."""
    wanted = params.get("expand") or []
    wanted = [wanted] if isinstance(wanted, str) else wanted
    pi = dict(pi)
    if "latest_charge" in wanted and pi.get("latest_charge"):
        pi["latest_charge"] = sandbox.retrieve_charge(pi["latest_charge"])
    if "payment_method" in wanted and pi.get("payment_method"):
        pi["payment_method"] = sandbox.retrieve_payment_method(pi["payment_method"])
    return pi


def _execute(
    sandbox: Sandbox, handler: Handler, params: dict[str, Any], idem_key: str | None, scope: str, route: str
) -> tuple[int, dict[str, Any], bool]:
    """Run `handler` once per idempotency key; (status, body, replayed)."""
    if not idem_key:
        return (*_run(handler, params, None), False)
    fingerprint = hashlib.sha256(f"{route}\n{json.dumps(params, sort_keys=True)}".encode()).hexdigest()
    with sandbox.store.transaction():  # one lock: a concurrent twin waits, then replays
        recorded = sandbox.store.recorded(scope, idem_key)
        if recorded:
            if recorded[0] != fingerprint:
                error = idempotency(
                    "Keys for idempotent requests can only be used with the same parameters they were first "
                    f"used with. Try using a key other than '{idem_key}' if you meant to execute a different request."
                )
                return error.status, error.body(), False
            return recorded[1], recorded[2], True
        status, body = _run(handler, params, idem_key)
        if status < 500:
            sandbox.store.record(scope, idem_key, fingerprint, status, body)
        return status, body, False


def _run(handler: Handler, params: dict[str, Any], idem_key: str | None) -> tuple[int, dict[str, Any]]:
    try:
        return 200, public(handler(params, idem_key))
    except StripeError as error:
        return error.status, public(error.body())
