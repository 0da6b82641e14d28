"""shopflow_stack/security/ in process: strict origins, the CSRF middleware's body handling, the body
limit as configured, HSTS over TLS, and the settings and uvicorn options behind them. The
running stack's side is test_hardening.py."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from shopflow_stack import serve
from shopflow_stack.security import csrf
from shopflow_stack.security.body_limit import BodyLimit
from shopflow_stack.security.origins import is_on, origin_of
from shopflow_stack.settings import Settings, SettingsError, get_settings

SHOP = ("http://127.0.0.1:8600", "http://localhost:8600")
T = TypeVar("T")


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:8600/checkout/complete?order=1", "http://127.0.0.1:8600"),
        ("HTTP://LOCALHOST:8600/x", "http://localhost:8600"),
        ("https://shop.example:443/x", "https://shop.example"),
        ("http://[::1]:8600/", "http://[::1]:8600"),
        ("http://evil.example\\@127.0.0.1:8600/", None),  # browsers: host evil.example
        ("http://127.0.0.1:8600@evil.example/", None),
        ("http://user:pw@127.0.0.1:8600/", None),
        ("//127.0.0.1:8600/", None),
        ("javascript://127.0.0.1:8600/%0aalert(1)", None),
        ("http://127.0.0.1:8600 /", None),
        ("http://127.0.0.1:8600\t/", None),
        ("http://127.0.0.1.:8600/", None),
        ("http://xn--80ak6aa92e.com/", "http://xn--80ak6aa92e.com"),
        ("http://аpple.com/", None),  # Cyrillic а: not ASCII
        ("http://127.0.0.1:99999/", None),
        ("", None),
    ],
)
def test_origins_are_read_strictly(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin
    assert is_on(url, SHOP) is (origin in SHOP)


def _app(**limit: Any) -> Starlette:
    """A page that shows the token and an endpoint that echoes what it was sent, behind the
    storefront's middleware."""

    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(csrf.session_token(request.session))

    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        form = await request.form() if request.headers.get("content-type", "").startswith(csrf.FORM_TYPES) else {}
        return JSONResponse({"bytes": len(body), "fields": sorted(form.keys())})

    return Starlette(
        routes=[Route("/", page), Route("/echo", echo, methods=["POST"])],
        middleware=[
            Middleware(BodyLimit, max_bytes=limit.get("max_bytes", 1024 * 1024)),
            Middleware(SessionMiddleware, secret_key="test"),
            Middleware(csrf.CsrfProtect),
        ],
    )


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API may own this thread's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _with_token(app: Starlette, posts: Callable[[str], list[dict[str, Any]]]) -> list[httpx.Response]:
    """Open the page (a session and its token), then make `posts(token)` to /echo."""

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop.test") as client:
            token = (await client.get("/")).text
            return [await client.post("/echo", **options) for options in posts(token)]

    return run_async(run())


def test_the_token_is_found_in_each_kind_of_body_and_the_app_still_gets_the_whole_body() -> None:
    urlencoded, multipart, json_body, wrong, missing = _with_token(
        _app(),
        lambda token: [
            {"data": {"csrf_token": token, "note": "x" * 5000}},
            {"data": {"csrf_token": token}, "files": {"upload": ("a.txt", b"hello")}},
            {"json": {"a": 1}, "headers": {"X-CSRF-Token": token}},
            {"data": {"csrf_token": "not-it"}},
            {"json": {"a": 1}},
        ],
    )
    assert urlencoded.status_code == 200 and urlencoded.json()["fields"] == ["csrf_token", "note"]
    assert urlencoded.json()["bytes"] > 5000  # replayed to the app whole
    assert multipart.status_code == 200
    assert json_body.json() == {"bytes": 7, "fields": []}
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert csrf.REFUSED_TITLE in wrong.text


def test_the_body_limit_is_the_configured_one_and_counts_streamed_bodies() -> None:
    async def stream(size: int) -> AsyncIterator[bytes]:  # no Content-Length: only counting can stop it
        for _ in range(size // 100):
            yield b"x" * 100

    small, streamed, declared = _with_token(
        _app(max_bytes=1000),
        lambda token: [
            {"content": stream(1000), "headers": {"X-CSRF-Token": token}},
            {"content": stream(5000), "headers": {"X-CSRF-Token": token}},
            {"content": b"x" * 1001, "headers": {"X-CSRF-Token": token}},
        ],
    )
    assert (small.status_code, streamed.status_code, declared.status_code) == (200, 413, 413)
    assert streamed.json()["error"]["code"] == "request_too_large"


def test_settings_read_the_limit_origins_and_proxies(tmp_path: Path) -> None:
    base = {"SHOPFLOW_STACK_DIR": str(tmp_path), "SHOPFLOW_PORT_BASE": "9100"}
    default = Settings.from_environ(base)
    assert (default.max_body_bytes, default.trusted_proxies, default.api_service_ms) == (1024 * 1024, (), 0)
    assert default.shop_origins == ("http://127.0.0.1:9100", "http://localhost:9100")
    custom = Settings.from_environ(
        {
            **base,
            "SHOPFLOW_MAX_BODY_BYTES": "2048",
            "SHOPFLOW_TRUSTED_PROXIES": "10.0.0.5",
            "SHOPFLOW_SHOP_ORIGINS": "https://shop.example",
            "SHOPFLOW_PAYMENTS_PUBLIC_URL": "https://pay.example:8443/",
            "SHOPFLOW_API_SERVICE_MS": "40",
        }
    )
    assert custom.api_service_ms == 40 and not custom.faults.names  # production-like work, not a fault
    assert (custom.max_body_bytes, custom.trusted_proxies) == (2048, ("10.0.0.5",))
    assert custom.shop_origins[-1] == "https://shop.example"
    assert custom.browser_payments_url == "https://pay.example:8443" != custom.payments_url
    assert Settings.from_environ(base).browser_payments_url == Settings.from_environ(base).payments_url
    for bad in (
        {"SHOPFLOW_MAX_BODY_BYTES": "1MB"},
        {"SHOPFLOW_MAX_BODY_BYTES": "0"},
        {"SHOPFLOW_SHOP_ORIGINS": "https://shop.example/path"},
        {"SHOPFLOW_SHOP_ORIGINS": "shop.example"},
        {"SHOPFLOW_PAYMENTS_PUBLIC_URL": "https://pay.example/v1"},
        {"SHOPFLOW_API_SERVICE_MS": "40ms"},
        {"SHOPFLOW_API_SERVICE_MS": "10001"},
    ):
        with pytest.raises(SettingsError, match=next(iter(bad))):
            Settings.from_environ({**base, **bad})


@pytest.mark.parametrize(("proxies", "trusted"), [("", False), ("10.0.0.5", True)])
def test_uvicorn_believes_forwarded_headers_only_from_named_proxies(
    proxies: str, trusted: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    monkeypatch.setenv("SHOPFLOW_STACK_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPFLOW_PORT_BASE", "9100")
    monkeypatch.setenv("SHOPFLOW_TRUSTED_PROXIES", proxies)
    get_settings.cache_clear()
    try:
        assert serve.main(["admin"]) == 0
    finally:
        get_settings.cache_clear()
    assert seen["proxy_headers"] is trusted
    assert seen["forwarded_allow_ips"] == ([proxies] if trusted else None)


@pytest.mark.parametrize("service", ["web", "admin", "api", "payments"])
def test_hsts_is_sent_when_served_over_tls(service: str, tmp_path: Path) -> None:
    """In process: the app as uvicorn hands it a request that came over TLS (scheme https)."""
    settings = Settings.from_environ({"SHOPFLOW_STACK_DIR": str(tmp_path), "SHOPFLOW_PORT_BASE": "10590"})
    app = importlib.import_module(f"stack.{service}.app").create_app(settings)

    async def health(scheme: str) -> httpx.Response:  # no lifespan: the app's neighbours are not needed
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"{scheme}://shop.test") as client:
            return await client.get("/health", headers={"X-Forwarded-Proto": "https"})

    for scheme, expected in (("https", True), ("http", False)):
        response = run_async(health(scheme))
        assert ("strict-transport-security" in response.headers) is expected, (scheme, response.status_code)
