"""Seed and purge an environment's test data through its admin API (docs/api.md, "Admin").

The harness does not own ShopFlow's schema, so it never touches a database: seeding is
`POST /api/admin/seed` (idempotent on the server side) and purging a run is
`DELETE /api/admin/test-runs/{tag}`. Both are writes, so both refuse read-only environments
before any request leaves.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote
from typing import Any

import httpx

from fixtures.environment import ConfigError, Environment

SEED_KINDS = ("products", "customers", "orders")
TIMEOUT_S = 30.0


class AdminApiError(Exception):
    """The admin API answered with an error; the message is one line, secret-free."""


def refuse_read_only(environment: Environment, action: str) -> None:
    if environment.read_only:
        where = f" ({', '.join(environment.production_urls)})" if environment.production_urls else ""
        raise ConfigError(f"refused on {environment.name}{where}: {action} writes data and the policy is read-only")


def _call(environment: Environment, method: str, path: str, json: Any = None) -> dict[str, Any]:
    token = environment.secret("admin_token")
    url = f"{environment.url('api')}{path}"
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": f"shopflow-qa-{uuid.uuid4().hex}"}
    try:
        with httpx.Client(timeout=TIMEOUT_S) as client:
            response = client.request(method, url, json=json, headers=headers)
    except httpx.HTTPError as error:
        raise ConfigError(f"{environment.url('api')} unreachable ({type(error).__name__}); try `shopflow-qa doctor --env {environment.name}`") from None
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            reason = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            reason = response.text[:200].replace("\n", " ")
        raise AdminApiError(f"{method} {path} answered {response.status_code} ({reason})")
    return response.json() if response.content else {}


def seed(environment: Environment, only: str | None = None) -> dict[str, Any]:
    """Seed catalogue/customers/orders (or one kind); returns the server's counts."""
    if only is not None and only not in SEED_KINDS:
        raise ConfigError(f"--only must be one of {', '.join(SEED_KINDS)}, got {only!r}")
    refuse_read_only(environment, "seed")
    return _call(environment, "POST", "/api/admin/seed", json={"only": only})


def purge(environment: Environment, run_id: str) -> dict[str, Any]:
    """Delete everything tagged with `run_id` (customers, carts, orders); returns what went."""
    if not run_id.strip():
        raise ConfigError("--run must name a test run id")
    refuse_read_only(environment, "purge")
    return _call(environment, "DELETE", f"/api/admin/test-runs/{quote(run_id, safe='')}")
