"""Security headers on every answer, as pure ASGI middleware (no buffering).

- every answer: `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin` (the 3DS
  return address carries the payment's client secret in its query: no other site may see it);
- HTML: the app's Content-Security-Policy unless the page set its own (the sandbox's framed
  pages do, with a nonce and their frame-ancestors), and `X-Frame-Options: DENY` wherever the
  policy says `frame-ancestors 'none'`;
- `Strict-Transport-Security` only when the request came over TLS. uvicorn decides the scheme:
  it believes a proxy's X-Forwarded-Proto only from the addresses in SHOPFLOW_TRUSTED_PROXIES
  (shopflow_stack/serve.py), never by default, so a plain-HTTP laptop stack never sends HSTS.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REFERRER_POLICY = "same-origin"
HSTS = "max-age=31536000"
NOT_FRAMEABLE = "frame-ancestors 'none'"


def policy(*directives: str) -> str:
    return "; ".join(directives)


def site_policy(frame_src: str = "'none'") -> str:
    """Storefront and admin pages: only their own scripts, styles and forms; never framed."""
    return policy(
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        f"frame-src {frame_src}",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        NOT_FRAMEABLE,
    )


NO_CONTENT_POLICY = policy("default-src 'none'", "base-uri 'none'", "form-action 'none'", NOT_FRAMEABLE)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, csp: str = NO_CONTENT_POLICY) -> None:
        self.app = app
        self.csp = csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", REFERRER_POLICY)
                if over_tls:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if headers.get("content-type", "").startswith("text/html"):
                    csp = headers.setdefault("Content-Security-Policy", self.csp)
                    if NOT_FRAMEABLE in csp:
                        headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)
