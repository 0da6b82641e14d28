"""Bearer-token auth on /api/*: the service token, a customer's token, or the admin token.

Missing or unknown token → 401 `unauthorized`; a valid token without the right → 403
`forbidden` (docs/api.md, "Conventions"). Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from stack.api.context import AppContext, get_ctx
from stack.api.errors import ApiError


@dataclass(frozen=True)
class Principal:
    kind: str  # "service" | "customer" | "admin"
    customer_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Send `Authorization: Bearer <token>`.")
    return token.strip()


def principal(request: Request, ctx: Annotated[AppContext, Depends(get_ctx)]) -> Principal:
    token = _bearer(request)
    if hmac.compare_digest(token, ctx.settings.admin_token):
        return Principal("admin")
    if hmac.compare_digest(token, ctx.settings.service_token):
        return Principal("service")
    customer_id = ctx.sessions.customer_id(token)
    if customer_id is None:
        raise ApiError(401, "unauthorized", "The token is not valid.")
    return Principal("customer", customer_id)


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
