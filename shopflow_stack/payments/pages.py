"""The sandbox's browser pages: hosted card fields (`/elements/card`) and the 3DS challenge.

They stand in for Stripe Elements and the issuer's challenge, served from the payments
host so the storefront never sees a card number (the protocol is in README.md). Only the
shop's own origins (settings.shop_origins) may frame them, and each page runs only the
script and style that carry its response's nonce.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from shopflow_stack.payments.engine import Sandbox
from shopflow_stack.payments.errors import StripeError, invalid_request
from shopflow_stack.payments.keys import publishable_key
from shopflow_stack.security.headers import policy
from shopflow_stack.security.origins import origin_of
from shopflow_stack.settings import Settings

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"]))


def _page(name: str, ancestors: tuple[str, ...], status: int = 200, **context: object) -> HTMLResponse:
    """A page frameable by `ancestors` only; its form may go to this host and back to them."""
    nonce = secrets.token_urlsafe(16)
    shops = " ".join(ancestors)
    csp = policy(
        "default-src 'none'",
        f"script-src 'nonce-{nonce}'",
        f"style-src 'nonce-{nonce}'",
        "connect-src 'self'",
        "img-src 'self' data:",
        f"form-action 'self' {shops}",
        "base-uri 'none'",
        f"frame-ancestors {shops}",
    )
    return HTMLResponse(
        TEMPLATES.get_template(name).render(nonce=nonce, **context),
        status_code=status,
        headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
    )


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency.upper()}"


def _result_status(pi: dict) -> str:
    return "succeeded" if pi["status"] in ("succeeded", "requires_capture") else "failed"


def build_router(settings: Settings, sandbox: Sandbox) -> APIRouter:
    router = APIRouter()
    pk = publishable_key(settings)
    shops = settings.shop_origins

    @router.get("/elements/card", response_class=HTMLResponse)
    def card_fields(request: Request, parent_origin: str = "") -> HTMLResponse:
        given_pk = request.query_params.get("pk", "")
        if given_pk != pk:
            return _page(
                "problem.html",
                shops,
                400,
                title="Card fields unavailable",
                message="The publishable key (pk) is missing or not this sandbox's.",
            )
        parent = origin_of(parent_origin)
        if parent is None or parent not in shops:
            return _page(
                "problem.html",
                shops,
                400,
                title="Card fields unavailable",
                message=f"parent_origin must be the shop's own origin ({', '.join(shops)}).",
            )
        return _page("card_fields.html", shops, pk=pk, parent_origin=parent)

    @router.get("/3ds/{pi_id}", response_class=HTMLResponse)
    async def challenge(pi_id: str, request: Request) -> HTMLResponse:
        try:
            pi = await run_in_threadpool(sandbox.retrieve_payment_intent, pi_id)
        except StripeError:
            return _page(
                "problem.html", shops, 404, title="Unknown payment", message="No such payment is awaiting authentication."
            )
        # Where the framed page posts its result: a shop origin, never "*".
        candidates = (origin_of(request.query_params.get("parent_origin")), origin_of(pi.get("_return_url")))
        parent = next((o for o in candidates if o in shops), shops[0])
        card = None
        if pi.get("payment_method"):
            card = (await run_in_threadpool(sandbox.retrieve_payment_method, pi["payment_method"]))["card"]
        return _page(
            "challenge.html",
            shops,
            pi=pi,
            amount=_money(pi["amount"], pi["currency"]),
            card=card,
            pending=pi["status"] == "requires_action",
            parent_origin=parent,
        )

    async def answer(pi_id: str, request: Request, succeeded: bool) -> Response:
        wants_json = "application/json" in request.headers.get("accept", "")
        sent_from = request.headers.get("origin")
        if sent_from is not None and sent_from != origin_of(str(request.base_url)):
            # No cookie rides on this form: knowing the payment's id is what answers it. A browser
            # says where a post comes from; only the challenge page itself may answer.
            error = invalid_request("The challenge can only be answered from its own page.", status=403)
            if wants_json:
                return JSONResponse(error.body(), status_code=403)
            return _page(
                "problem.html",
                shops,
                403,
                title="Answer refused",
                message="The challenge can only be answered from its own page.",
            )
        try:
            pi = await run_in_threadpool(sandbox.authenticate, pi_id, succeeded)
        except StripeError as error:
            if wants_json:
                return JSONResponse(error.body(), status_code=error.status)
            return _page(
                "problem.html", shops, error.status, title="Authentication not pending", message=error.error.get("message", "")
            )
        status = _result_status(pi)
        return_url = pi.get("_return_url")
        redirect = None
        if return_url:
            query = urlencode(
                {"payment_intent": pi["id"], "payment_intent_client_secret": pi["client_secret"], "redirect_status": status}
            )
            redirect = f"{return_url}{'&' if '?' in return_url else '?'}{query}"
        if wants_json:
            return JSONResponse(
                {"payment_intent": pi["id"], "status": status, "payment_intent_status": pi["status"], "redirect_url": redirect}
            )
        if redirect:
            return RedirectResponse(redirect, status_code=303)
        return _page("challenge_done.html", shops, result=status, pi=pi)  # `status` would be the HTTP status

    @router.post("/3ds/{pi_id}/complete")
    async def complete(pi_id: str, request: Request) -> Response:
        return await answer(pi_id, request, True)

    @router.post("/3ds/{pi_id}/fail")
    async def fail(pi_id: str, request: Request) -> Response:
        return await answer(pi_id, request, False)

    return router
