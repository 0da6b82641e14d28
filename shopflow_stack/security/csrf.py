"""CSRF protection of the storefront and admin: a synchronizer token bound to the signed session.

SameSite alone does not do here: cookies are "same-site" across ports, so a page served from
any other port of 127.0.0.1 is same-site to the admin and a SameSite=Strict cookie still goes
with its form posts (that is how a refund was once made from another port). So the session —
a signed cookie no other site can forge — holds a random token; every page carries it (a
hidden `csrf_token` field in each form via `csrf_field()`, `<meta name="csrf-token">` for the
checkout script, which sends it as `X-CSRF-Token`), and every unsafe method (POST, PUT, PATCH,
DELETE) must present it. Missing or wrong → 403 with a page that says what to do.

`CsrfProtect` must sit inside Starlette's SessionMiddleware (it reads `scope["session"]`) and
inside the body limit (it may read a form body to find the field).
"""

from __future__ import annotations

import hmac
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("shopflow_stack.security")
SESSION_KEY = "csrf_token"
FIELD = "csrf_token"
HEADER = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFUSED_TITLE = "This form has expired"
REFUSED_MESSAGE = (
    "We could not confirm that this request came from this site's own page: its security token is "
    "missing or out of date. Nothing was changed. Go back, reload the page and try again."
)
Refusal = Callable[[Request, str], Response | Awaitable[Response]]


def session_token(session: dict[str, Any]) -> str:
    """The session's token, made on first use (the page that shows a form makes it)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def rotate(session: dict[str, Any]) -> None:
    """A new token when the visitor signs in (forms shown before that stop working)."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)


@pass_context
def csrf_token(context: Any) -> str:
    """Template global: the token of the request being rendered."""
    return session_token(context["request"].session)


@pass_context
def csrf_field(context: Any) -> Markup:
    """Template global: the hidden input every state-changing form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, csrf_token(context))


def plain_refusal(request: Request, reason: str) -> Response:
    return HTMLResponse(
        f"<!doctype html><title>{REFUSED_TITLE}</title><h1>{REFUSED_TITLE}</h1><p>{REFUSED_MESSAGE}</p>", status_code=403
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then listens as before."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class CsrfProtect:
    def __init__(self, app: ASGIApp, refuse: Refusal = plain_refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def _form_token(self, scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
        body = await _read_body(receive)
        try:
            form = await Request(scope, _replay(body, receive)).form()
        except (HTTPException, MultiPartException, ValueError):  # python-multipart's errors are ValueErrors
            return None, _replay(body, receive)  # a form that cannot be read carries no token
        given = form.get(FIELD)
        await form.close()
        return (given if isinstance(given, str) else None), _replay(body, receive)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        expected = (scope.get("session") or {}).get(SESSION_KEY)
        given = _header(scope, HEADER)
        if given is None and (_header(scope, b"content-type") or "").split(";")[0].strip().lower() in FORM_TYPES:
            given, receive = await self._form_token(scope, receive)
        if isinstance(expected, str) and given and hmac.compare_digest(given.encode(), expected.encode()):
            await self.app(scope, receive, send)
            return
        reason = "no token in the session" if not isinstance(expected, str) else ("no token sent" if not given else "wrong token")
        log.warning(
            "%s %s refused (CSRF): %s; origin=%s", scope["method"], scope["path"], reason, _header(scope, b"origin") or "-"
        )
        response = self.refuse(Request(scope, receive), reason)
        if inspect.isawaitable(response):
            response = await response
        await response(scope, receive, send)
