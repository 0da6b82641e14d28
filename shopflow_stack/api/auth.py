"""Bearer-token auth on /api/*: the service token, a customer's token, or the admin token.

Missing or unknown token → 401 `unauthorized`; a valid token without the right → 403
`forbidden` (docs/api.md, "Conventions"). Tokens are compared in constant time.

FastAPI reads a route's body before it runs its dependencies, so a request that carries a body
is authenticated first by `AuthenticateFirst` (ASGI): a stranger's body is never read, and
the route's `principal` dependency reuses what it found.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from shopflow_stack.api.context import AppContext, get_ctx
from shopflow_stack.api.errors import ApiError


@dataclass(frozen=True)
class Principal:
    kind: str  # "service" | "customer" | "admin"
    customer_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


def authenticate(ctx: AppContext, authorization: str) -> Principal:
    """Who sends `Authorization: <authorization>`; ApiError 401 when nobody we know."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "Send `Authorization: Bearer <token>`.")
    if hmac.compare_digest(token, ctx.settings.admin_token):
        return Principal("admin")
    if hmac.compare_digest(token, ctx.settings.service_token):
        return Principal("service")
    customer_id = ctx.sessions.customer_id(token)
    if customer_id is None:
        raise ApiError(401, "unauthorized", "The token is not valid.")
    return Principal("customer", customer_id)


def principal(request: Request, ctx: Annotated[AppContext, Depends(get_ctx)]) -> Principal:
    known = getattr(request.state, "principal", None)  # AuthenticateFirst's answer, for requests with a body
    return known if known is not None else authenticate(ctx, request.headers.get("authorization", ""))


def _header(scope: Scope, name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == name), "")


class AuthenticateFirst:
    """An /api/ request with a body (Content-Length above 0, or chunked) is authenticated before
    the app reads any of it: 401 at once for a stranger, however big the body said it was."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        has_body = _header(scope, b"content-length") not in ("", "0") or bool(_header(scope, b"transfer-encoding"))
        if scope["type"] != "http" or not scope["path"].startswith("/api/") or not has_body:
            await self.app(scope, receive, send)
            return
        try:
            who = await run_in_threadpool(authenticate, self.ctx, _header(scope, b"authorization"))
        except ApiError as error:
            await JSONResponse(error.to_body(), status_code=error.status)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = who
        await self.app(scope, receive, send)


def admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if not who.is_admin:
        raise ApiError(403, "forbidden", "This needs the admin token.")
    return who


def customer(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if who.kind != "customer":
        raise ApiError(403, "forbidden", "This needs a customer's token (sign in first).")
    return who


Who = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(admin)]
CustomerOnly = Annotated[Principal, Depends(customer)]
Ctx = Annotated[AppContext, Depends(get_ctx)]
MAX_ID = 2**31 - 1  # ids in paths: beyond this a 422, never a database overflow
