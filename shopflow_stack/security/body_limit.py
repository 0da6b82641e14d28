"""A request-body limit as pure ASGI middleware: 413 before the body is read.

A declared Content-Length over the limit is refused at once, without reading a byte; a body
without one (chunked) is counted as it streams in and refused the moment it passes the limit,
whatever the app was doing with it. Either way the service never holds more than the limit
(plus one network read) of a body in memory, and the answer says `Connection: close`, so the
client stops sending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("shopflow_stack.security")
TooLargeAnswer = Callable[[int], Response]


class BodyTooLarge(Exception):
    """Raised into the app by `receive` once a streamed body passes the limit."""


def json_answer(limit: int) -> Response:
    """The API's error shape (docs/api.md): the default answer."""
    return JSONResponse(
        {"error": {"code": "request_too_large", "message": f"The request body is over this service's limit of {limit} bytes."}},
        status_code=413,
    )


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, answer: TooLargeAnswer | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.answer = answer or json_answer

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, seen: int) -> None:
        log.warning("%s %s refused: body over %d bytes (%d seen)", scope["method"], scope["path"], self.max_bytes, seen)
        response = self.answer(self.max_bytes)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send, declared)
            return
        seen = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise BodyTooLarge(f"body over {self.max_bytes} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app makes of a body cut short, the answer is ours
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, receive, send, seen)
