"""Per-request plumbing: request id and traceparent in the log line, the API's service time
(SHOPFLOW_API_SERVICE_MS: production-like work per request, not a fault) and its faults.

Every request gets an X-Request-Id (echoed; generated when absent) that appears, with the
W3C traceparent and the test-run tag, on the one access line the service logs for it — the
harness finds a failed test's server lines by those ids (shopflow_qa/core/diagnostics.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shopflow_stack.api.errors import error_response
from shopflow_stack.faults import Faults

log = logging.getLogger("shopflow_stack.api.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContext:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer and slow every response)."""

    def __init__(self, app: ASGIApp, faults: Faults, service_ms: int = 0) -> None:
        self.app = app
        self.faults = faults
        self.service_ms = service_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given and _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            if scope["path"].startswith("/api/"):
                if self.service_ms:
                    await asyncio.sleep(self.service_ms / 1000)
                if "slow_api" in self.faults:
                    await asyncio.sleep(self.faults.param("slow_api") / 1000)
                if self.faults.every_nth("error_rate"):
                    response = error_response(500, "internal_error", f"Injected failure (request {request_id}).")
                    await response(scope, receive, send_with_id)
                    return
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s %.1fms request_id=%s traceparent=%s test_run=%s",
                scope["method"],
                scope["path"],
                status["code"],
                (time.perf_counter() - started) * 1000,
                request_id,
                _header(scope, b"traceparent") or "-",
                _header(scope, b"x-shopflow-test-run") or "-",
            )
