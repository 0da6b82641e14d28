"""`shopflow-qa envs | doctor | seed | purge`: operating an environment, outside any test."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext, Status
from shopflow_qa.cli.doctor.runner import CHECKS, passed, run_checks, select
from shopflow_qa.cli.errors import EXIT_FAILED, fail, one_line_errors
from shopflow_qa.core import admin_data, local_stack
from shopflow_qa.core.environment import ConfigError, Environment, load_environments, resolve_environment
from shopflow_qa.core.safety import why_read_only

EnvOption = Annotated[str | None, typer.Option("--env", "-e", help="Environment name (default: $SHOPFLOW_ENV, then local).")]
EnvFileOption = Annotated[list[Path], typer.Option("--env-file", help="Extra environments file (repeatable).")]


Echo = Callable[[CheckResult], None]


def _print(result: CheckResult) -> None:
    print(result.line())


JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object (shape: docs/cli-json.md; never a secret).")]


def envs(env_file: EnvFileOption = [], as_json: JsonOption = False) -> None:
    """List the environments, their URLs and policy."""
    _envs(env_file, as_json)


def environment_json(environment: Environment) -> dict[str, object]:
    """An environment as `envs --json` shows it: the NAMES of its secrets' variables and whether
    each is set here, never a value."""
    return {
        "name": environment.name,
        "description": environment.description,
        "policy": environment.policy,
        "read_only": environment.read_only,
        "managed_stack": environment.managed_stack,
        "urls": environment.urls,
        "internal_host": environment.internal_host or None,
        "production_matches": [match.describe() for match in environment.production_matches],
        "secrets": {
            role: {"variable": variable, "available": environment.has_secret(role)}
            for role, variable in sorted(environment.secret_variables.items())
        },
        "capacity": vars(environment.capacity),
        "capabilities": vars(environment.capabilities),
        "aws_region": environment.aws.region if environment.aws else None,
        "sources": list(environment.sources),
    }


@one_line_errors
def _envs(env_file: list[Path], as_json: bool = False) -> None:
    if as_json:
        found = load_environments(env_file).values()
        print(json.dumps({"schema": 1, "environments": [environment_json(e) for e in found]}, indent=2))
        return
    for environment in load_environments(env_file).values():
        flags = [
            environment.policy
            if not environment.read_only or environment.policy == "read-only"
            else "read-only (production host)"
        ]
        if environment.managed_stack:
            flags.append("managed local stack")
        if environment.aws:
            flags.append(f"AWS {environment.aws.region}")
        print(f"{environment.name}: {', '.join(flags)} — {environment.description}")
        for role, url in environment.urls.items():
            print(f"  {role:9} {url}")
        print(f"  offers    {environment.capabilities.describe()}")
        if environment.internal_host:
            print(f"  {'internal':9} {environment.internal_host} (VPN only)")
        for match in environment.production_matches if environment.policy != "read-only" else ():
            print(f"  production: {match.describe()}")


def doctor(
    env: EnvOption = None,
    env_file: EnvFileOption = [],
    check: Annotated[list[str], typer.Option("--check", help=f"Run only these checks (repeatable): {', '.join(CHECKS)}.")] = [],
    as_json: JsonOption = False,
) -> None:
    """Check that this machine can test the environment: ✓/✗ per check with a fix; exit 1 on any ✗."""
    checks = one_line_errors(select)(check)
    if as_json:
        _doctor_json(env, env_file, checks)
        return
    environment = _doctor_environment(env, env_file)
    with _doctor_stack(environment, checks) as stack_results:
        results = stack_results + run_checks(DoctorContext(environment), checks)
    failures = sum(r.status is Status.FAIL for r in results)
    print(f"doctor {environment.name}: {'all checks passed' if passed(results) else f'{failures} check(s) failed'}")
    if failures:
        raise typer.Exit(EXIT_FAILED)


def _doctor_json(env: str | None, env_file: list[Path], checks: list) -> None:
    """`doctor --json`: the same checks, gathered into one JSON object instead of printed (exit 1
    on any ✗, 2 on a usage error, as without --json)."""
    results: list[CheckResult] = []
    code = 0
    environment = None
    try:
        environment = _doctor_environment(env, env_file, results.append)
        with _doctor_stack(environment, checks, results.append):
            run_checks(DoctorContext(environment), checks, echo=lambda line: None, collect=results.append)
    except typer.Exit as stop:
        code = stop.exit_code
        if code != EXIT_FAILED:
            raise
    failures = sum(r.status is Status.FAIL for r in results)
    document = {
        "schema": 1,
        "environment": environment.name if environment else env,
        "passed": failures == 0,
        "failures": failures,
        "checks": [{"name": r.name, "status": r.status.name.lower(), "detail": r.detail, "fix": r.fix or None} for r in results],
    }
    print(json.dumps(document, indent=2))
    if code or failures:
        raise typer.Exit(EXIT_FAILED)


@one_line_errors
def _doctor_environment(env: str | None, env_file: list[Path], echo: Echo = _print) -> Environment:
    """Check the environment file first (a ✗, exit 1); an unknown name is a usage error (exit 2)."""
    try:
        load_environments(env_file)
    except ConfigError as error:
        echo(CheckResult("environment file", Status.FAIL, str(error), "correct that file (schema: data/environments.toml)"))
        raise typer.Exit(EXIT_FAILED) from None
    environment = resolve_environment(env, env_file)  # unknown name → ConfigError → exit 2
    files = ", ".join(environment.sources)
    echo(CheckResult("environment file", Status.OK, f"'{environment.name}' from {files}"))
    if environment.read_only:
        echo(
            CheckResult(
                "policy",
                Status.SKIP,
                f"read-only ({why_read_only(environment)}): only nondestructive "
                "tests; seed, purge, load and the admin probe are refused",
            )
        )
    return environment


@contextlib.contextmanager
def _doctor_stack(environment: Environment, checks: list, echo: Echo = _print) -> Iterator[list[CheckResult]]:
    """The managed local stack is started on demand by pytest, gate, seed and purge: doctor does
    the same (and stops it after), so its health and admin checks probe a real stack and a stack
    that cannot start is one ✗ line with its reason, not four unreachable hosts."""
    if not environment.auto_start or not set(checks) & {*CHECKS["health"], *CHECKS["admin"]}:
        yield []
        return
    name = "local stack"
    try:
        with local_stack.managed(environment) as started:
            detail = (
                f"started '{environment.stack_name}' for these checks (stopped after)"
                if started
                else f"'{environment.stack_name}' is running"
            )
            result = CheckResult(name, Status.OK, detail)
            echo(result)
            yield [result]
    except ConfigError as error:  # StackError: busy port, preparation failed, not answering
        result = CheckResult(
            name,
            Status.FAIL,
            str(error),
            f"`shopflow-qa stack logs --name {environment.stack_name}`; `shopflow-qa stack down --all` frees stale stacks",
        )
        echo(result)
        yield [result]


@one_line_errors
def seed(
    env: EnvOption = None,
    env_file: EnvFileOption = [],
    only: Annotated[str | None, typer.Option("--only", help="Seed only products, customers or orders.")] = None,
) -> None:
    """Seed the environment's data through the admin API (idempotent; refused on read-only)."""
    environment = resolve_environment(env, env_file)
    admin_data.refuse_read_only(environment, "seed")
    with local_stack.managed(environment):
        counts = _admin(lambda: admin_data.seed(environment, only))
    print(f"seeded {environment.name}{f' ({only})' if only else ''}: {_counts(counts)}")


@one_line_errors
def purge(
    env: EnvOption = None,
    env_file: EnvFileOption = [],
    run: Annotated[str | None, typer.Option("--run", help="Test run id (X-ShopFlow-Test-Run); default $SHOPFLOW_RUN_ID.")] = None,
) -> None:
    """Delete everything one test run tagged (customers, carts, orders); refused on read-only."""
    environment = resolve_environment(env, env_file)
    admin_data.refuse_read_only(environment, "purge")
    run_id = run or os.environ.get("SHOPFLOW_RUN_ID")
    if not run_id:
        raise fail("purge needs --run ID (or $SHOPFLOW_RUN_ID)")
    with local_stack.managed(environment):
        counts = _admin(lambda: admin_data.purge(environment, run_id))
    print(f"purged run {run_id} on {environment.name}: {_counts(counts)}")


def _admin(call):
    try:
        return call()
    except admin_data.AdminApiError as error:
        print(f"shopflow-qa: {error}", file=sys.stderr)
        raise typer.Exit(EXIT_FAILED) from None


def _counts(counts: dict) -> str:
    """`{"seeded": {"products": 51}}` or `{"tag": …, "orders": 2}` → "products 51" / "orders 2"."""
    flat = {}
    for key, value in counts.items():
        flat.update(value if isinstance(value, dict) else {key: value})
    return ", ".join(f"{k} {v}" for k, v in flat.items() if isinstance(v, (int, float)) and not isinstance(v, bool)) or "done"


def register(app: typer.Typer) -> None:
    """Add the commands to the `shopflow-qa` root."""
    app.command()(envs)
    app.command()(doctor)
    app.command()(seed)
    app.command()(purge)
