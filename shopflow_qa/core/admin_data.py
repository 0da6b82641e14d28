"""Seed and purge an environment's test data through its admin API (docs/api.md, "Admin").

The harness does not own ShopFlow's schema, so it never touches a database: seeding is
`POST /api/admin/seed` (idempotent on the server side) and purging a run is
`DELETE /api/admin/test-runs/{tag}`, both through the fixtures' AdminClient (request ids,
traceparent, redaction-safe errors). Both are writes, so both refuse read-only environments
before any request leaves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from shopflow_qa.core.api import AdminClient, purge_command
from shopflow_qa.core.environment import ConfigError, Environment
from shopflow_qa.core.flows import FlowError
from shopflow_qa.core.safety import write_refusal

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
            answer = call(client)
        except FlowError as error:
            if not _is_shopflow_error(error.response):  # a 404 page, a proxy's: not the admin API at all
                raise _foreign(environment, error.status_code) from None
            raise AdminApiError(str(error)) from None
        except ValueError:  # a success status whose body is not JSON (JSONDecodeError)
            last = client.log.since()[-1:]
            raise _foreign(environment, last[0].status if last else None) from None
        except httpx.HTTPError as error:
            raise ConfigError(
                f"{environment.url('api')} unreachable ({type(error).__name__}); "
                f"try `shopflow-qa doctor --env {environment.name}`"
            ) from None
    if not isinstance(answer, dict):
        raise _foreign(environment, None)
    return answer


def _is_shopflow_error(response: Any) -> bool:
    """docs/api.md: every 4xx/5xx of ShopFlow is `{"error": {"code", "message"}}`."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


def _foreign(environment: Environment, status: int | None) -> ConfigError:
    what = f"HTTP {status} " if status else ""
    return ConfigError(
        f"{environment.url('api')} answered {what}with something that is not the ShopFlow admin API (not its JSON); "
        f"is api_url right? try `shopflow-qa doctor --env {environment.name}`"
    )


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


def clean_up(environment: Environment, run_id: str, env_files: Sequence[str | Path] = ()) -> dict[str, Any]:
    """Purge `run_id` at the end of a run, whatever ended it; never raises (a failed clean-up
    must not hide the run's verdict). Returns the record gate.json and summary.json keep as
    `test_data`: `status` "purged" with the counts, "skipped" on a read-only environment (the
    run wrote nothing), or "left" with the reason and the exact `purge_command` for later."""
    record: dict[str, Any] = {"run_id": run_id}
    if environment.read_only:
        return {**record, "status": "skipped", "detail": f"{environment.name} is read-only: the run wrote nothing"}
    try:
        counts = purge(environment, run_id)
    except (ConfigError, AdminApiError) as error:
        detail = str(error)
    except KeyboardInterrupt:  # an impatient second Ctrl-C: say what is left rather than die here
        detail = "interrupted before the purge answered"
    else:
        return {
            **record,
            "status": "purged",
            "purged": {k: v for k, v in counts.items() if isinstance(v, int) and not isinstance(v, bool)},
        }
    return {**record, "status": "left", "detail": detail, "purge_command": purge_command(environment.name, run_id, env_files)}
