"""Seed and purge an environment's test data through its admin API (docs/api.md, "Admin").

The harness does not own ShopFlow's schema, so it never touches a database: seeding is
`POST /api/admin/seed` (idempotent on the server side) and purging a run is
`DELETE /api/admin/test-runs/{tag}`, both through the fixtures' AdminClient (request ids,
traceparent, redaction-safe errors). Both are writes, so both refuse read-only environments
before any request leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from fixtures.api import AdminClient
from fixtures.environment import ConfigError, Environment
from fixtures.flows import FlowError
from fixtures.safety import write_refusal

SEED_KINDS = ("products", "customers", "orders")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class AdminApiError(Exception):
    """The admin API answered with an error; the message is one line, secret-free."""


def refuse_read_only(environment: Environment, action: str) -> None:
    """Before any connection: a write on a read-only environment (or one reaching production)."""
    refusal = write_refusal(environment, action)
    if refusal:
        raise ConfigError(refusal)


def _with_admin(environment: Environment, call: Callable[[AdminClient], dict[str, Any]]) -> dict[str, Any]:
    with AdminClient.for_environment(environment, token_role="admin_token") as client:
        try:
            return call(client)
        except FlowError as error:
            raise AdminApiError(str(error)) from None
        except httpx.HTTPError as error:
            raise ConfigError(f"{environment.url('api')} unreachable ({type(error).__name__}); "
                              f"try `shopflow-qa doctor --env {environment.name}`") from None


def seed(environment: Environment, only: str | None = None) -> dict[str, Any]:
    """Seed catalogue/customers/orders (or one kind); returns the server's counts."""
    if only is not None and only not in SEED_KINDS:
        raise ConfigError(f"--only must be one of {', '.join(SEED_KINDS)}, got {only!r}")
    refuse_read_only(environment, "seed")
    return _with_admin(environment, lambda admin: admin.seed(only))


def purge(environment: Environment, run_id: str) -> dict[str, Any]:
    """Delete everything tagged with `run_id` (customers, carts, orders); returns what went."""
    if not RUN_ID.match(run_id):
        raise ConfigError(f"--run must be a test run id (letters, digits, . _ : -), got {run_id!r}")
    refuse_read_only(environment, "purge")
    return _with_admin(environment, lambda admin: admin.purge_test_run(run_id))
