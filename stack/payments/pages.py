"""The sandbox's browser pages: hosted card fields (`/elements/card`) and the 3DS challenge.

They stand in for Stripe Elements and the issuer's challenge, served from the payments
host so the storefront never sees a card number (the protocol is in README.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from stack.payments.engine import Sandbox
from stack.payments.errors import StripeError
from stack.payments.keys import publishable_key
from stack.settings import Settings

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$")


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if ORIGIN.match(origin) else None


def _page(name: str, status: int = 200, frame_ancestors: str = "*", **context: object) -> HTMLResponse:
    return HTMLResponse(TEMPLATES.get_template(name).render(**context), status_code=status, headers={
        "Content-Security-Policy": f"frame-ancestors {frame_ancestors}",
        "Cache-Control": "no-store",
    })


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:,.2f} {currency.upper()}"


def _result_status(pi: dict) -> str:
    return "succeeded" if pi["status"] in ("succeeded", "requires_capture") else "failed"


def build_router(settings: Settings, sandbox: Sandbox) -> APIRouter:
    router = APIRouter()
    pk = publishable_key(settings)

    @router.get("/elements/card", response_class=HTMLResponse)
    def card_fields(request: Request, parent_origin: str = "") -> HTMLResponse:
        given_pk = request.query_params.get("pk", "")
        if given_pk != pk:
            return _page("problem.html", 400, title="Card fields unavailable",
                         message="The publishable key (pk) is missing or not this sandbox's.")
        if not ORIGIN.match(parent_origin):
            return _page("problem.html", 400, title="Card fields unavailable",
                         message="parent_origin must be the embedding page's origin, e.g. http://127.0.0.1:8600.")
        return _page("card_fields.html", frame_ancestors=parent_origin, pk=pk, parent_origin=parent_origin)

    @router.get("/3ds/{pi_id}", response_class=HTMLResponse)
    async def challenge(pi_id: str, request: Request) -> HTMLResponse:
        try:
            pi = await run_in_threadpool(sandbox.retrieve_payment_intent, pi_id)
        except StripeError:
            return _page("problem.html", 404, title="Unknown payment", message="No such payment is awaiting authentication.")
        parent = request.query_params.get("parent_origin") or _origin_of(pi.get("_return_url"))
        if parent and not ORIGIN.match(parent):
            parent = None
        card = None
        if pi.get("payment_method"):
            card = (await run_in_threadpool(sandbox.retrieve_payment_method, pi["payment_method"]))["card"]
        return _page("challenge.html", pi=pi, amount=_money(pi["amount"], pi["currency"]), card=card,
                     pending=pi["status"] == "requires_action", parent_origin=parent or "*",
                     frame_ancestors=parent or "*")

    async def answer(pi_id: str, request: Request, succeeded: bool) -> Response:
        wants_json = "application/json" in request.headers.get("accept", "")
        try:
            pi = await run_in_threadpool(sandbox.authenticate, pi_id, succeeded)
        except StripeError as error:
            if wants_json:
                return JSONResponse(error.body(), status_code=error.status)
            return _page("problem.html", error.status, title="Authentication not pending",
                         message=error.error.get("message", ""))
        status = _result_status(pi)
        return_url = pi.get("_return_url")
        redirect = None
        if return_url:
            query = urlencode({"payment_intent": pi["id"], "payment_intent_client_secret": pi["client_secret"],
                               "redirect_status": status})
            redirect = f"{return_url}{'&' if '?' in return_url else '?'}{query}"
        if wants_json:
            return JSONResponse({"payment_intent": pi["id"], "status": status, "payment_intent_status": pi["status"],
                                 "redirect_url": redirect})
        if redirect:
            return RedirectResponse(redirect, status_code=303)
        return _page("challenge_done.html", result=status, pi=pi)  # `status` would be the HTTP status

    @router.post("/3ds/{pi_id}/complete")
    async def complete(pi_id: str, request: Request) -> Response:
        return await answer(pi_id, request, True)

    @router.post("/3ds/{pi_id}/fail")
    async def fail(pi_id: str, request: Request) -> Response:
        return await answer(pi_id, request, False)

    return router
