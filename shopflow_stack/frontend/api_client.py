"""The storefront's and admin's client for the ShopFlow API (docs/api.md), over HTTP only.

The web and admin hosts are back-ends-for-front-ends: they never touch the database, they
call the API exactly as the harness does. One pooled httpx client per process keeps pages
fast; tracing and test-run headers of the incoming request are passed on, so an API log
line can be tied to the page that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request

FORWARDED_HEADERS = ("x-request-id", "traceparent", "x-shopflow-test-run")
API_TIMEOUT_S = 15.0  # above the slowest fault (slow_checkout, slow_api) so they show as slowness


class ApiError(Exception):
    """An error answer of the API (or no answer): status, code and its words."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body or {}

    @property
    def decline_code(self) -> str | None:
        return (self.body.get("error") or {}).get("decline_code")


@dataclass
class ShopApi:
    """Calls of one incoming request, with its token and forwarded headers."""

    client: httpx.AsyncClient
    token: str
    forwarded: dict[str, str]

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}", **self.forwarded}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        clean_params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.client.request(method, path, json=json, params=clean_params, headers=headers)
        except httpx.HTTPError as error:
            raise ApiError(503, "api_unavailable", f"The shop's API did not answer ({type(error).__name__}).") from None
        if response.status_code == 204:
            return {}
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            found = body.get("error") if isinstance(body, dict) else None
            detail = found if isinstance(found, dict) else {}
            raise ApiError(
                response.status_code,
                str(detail.get("code", "http_error")),
                str(detail.get("message", f"HTTP {response.status_code}")),
                body if isinstance(body, dict) else {},
            )
        return body

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        return await self.call("GET", path, params=params)

    def with_token(self, token: str) -> ShopApi:
        return ShopApi(self.client, token, self.forwarded)


def new_http_client(api_url: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
    return httpx.AsyncClient(base_url=api_url, timeout=API_TIMEOUT_S, limits=limits)


def forwarded_headers(request: Request) -> dict[str, str]:
    return {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
