"""The middleware every service puts outermost, in the one order that works: the headers on
every answer (a 413 too), then the body limit before anything reads a byte."""

from __future__ import annotations

from starlette.middleware import Middleware

from shopflow_stack.security.body_limit import BodyLimit, TooLargeAnswer
from shopflow_stack.security.headers import SecurityHeaders


def edge_middleware(max_body_bytes: int, *, csp: str, too_large: TooLargeAnswer | None = None) -> list[Middleware]:
    """For `FastAPI(middleware=...)`: outermost first; the app's own middleware goes after."""
    return [Middleware(SecurityHeaders, csp=csp), Middleware(BodyLimit, max_bytes=max_body_bytes, answer=too_large)]
