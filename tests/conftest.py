"""Shared fixtures of the harness's own tests: real local stacks, on SQLite or PostgreSQL.

`stack_factory(...)` starts a named stack with its own ports (and, for PostgreSQL, its own
freshly created database, and a Redis key prefix of its own) and stops it at session end.
PostgreSQL variants skip with a visible reason when no server answers, except under
CI=true, where they must run.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from shopflow_stack import runner

pytest_plugins = ["pytester"]  # the plugin's self-tests run pytest in a subprocess (playwright-pytest's way)

POSTGRES_ADMIN_URL = os.environ.get("SHOPFLOW_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("SHOPFLOW_TEST_REDIS", "redis://127.0.0.1:6379/0")
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class RunningStack:
    """A stack started for a test session: its state, URLs and env file."""

    state: runner.StackState
    backend: str

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def urls(self) -> dict[str, str]:
        return self.state.urls

    @property
    def api_url(self) -> str:
        return self.state.urls["api"]

    @property
    def env_file(self) -> Path:
        return self.state.directory / "env.toml"


def _postgres_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except Exception as error:  # any failure to connect means "not available here"
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}"
    try:
        import redis

        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis not reachable at {REDIS_TEST_URL}: {type(error).__name__}"
    return None


def require_backend(backend: str) -> None:
    """Skip (or, under CI=true, fail) when the backend's servers are not reachable."""
    if backend != "postgresql":
        return
    reason = _postgres_reason()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires PostgreSQL and Redis: {reason}")
    if reason:
        pytest.skip(reason)


def _create_database(name: str) -> str:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def _drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


StackFactory = Callable[..., RunningStack]


def claim_port_base(name: str) -> int:
    """A free block of 4 ports for a stack named `name` that a run under test will start later,
    claimed in the runner's own state (as `runner.up` claims ports), so that a stack a parallel
    test starts meanwhile cannot take the same block. `runner.up(name, port_base=…)` replaces
    the claim; `runner.down(name)` drops it."""
    with runner._allocation_lock():
        base = runner.default_port_base(name)
        runner.stack_dir(name).mkdir(parents=True, exist_ok=True)
        runner._state_file(name).write_text(json.dumps(asdict(runner.StackState(name=name, port_base=base))))
    return base


@pytest.fixture(scope="session")
def stack_factory() -> Iterator[StackFactory]:
    """Start named stacks on demand; every one is stopped (and its database dropped) at the end."""
    started: list[str] = []
    databases: list[str] = []

    def start(
        backend: str = "sqlite",
        faults: tuple[str, ...] = (),
        name: str | None = None,
        version: str | None = None,
        until: pytest.FixtureRequest | None = None,
        service_ms: int = 0,
    ) -> RunningStack:
        """`until=request`: stop the stack when that test or fixture ends, not at session end
        (a whole run starts dozens of stacks; ports and memory are finite). `service_ms`: the
        API's production-like time per request (`stack up --service-ms`), not a fault."""
        require_backend(backend)
        label = "-".join([*(f.replace(":", "") for f in faults), *([f"s{service_ms}"] if service_ms else [])])[:60] or "ok"
        stack_name = name or f"t-{backend[:2]}-{label}-{uuid.uuid4().hex[:6]}"
        database_url = redis_url = None
        if backend == "postgresql":
            database = f"shopflow_{uuid.uuid4().hex[:12]}"
            database_url = _create_database(database)
            databases.append(database)
            redis_url = REDIS_TEST_URL
        state, _ = runner.up(
            stack_name, faults=faults, database_url=database_url, redis_url=redis_url, version=version, service_ms=service_ms
        )
        started.append(stack_name)
        if until is not None:
            until.addfinalizer(lambda: runner.down(stack_name))
        return RunningStack(state, backend)

    yield start
    for stack_name in started:
        runner.down(stack_name)
    for database in databases:
        _drop_database(database)


@pytest.fixture(scope="session")
def sqlite_stack(stack_factory: StackFactory) -> RunningStack:
    """The healthy SQLite stack the whole session shares (tests make their own data on it)."""
    return stack_factory("sqlite", name=f"t-shared-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="session", params=BACKENDS)
def healthy_stack(request: pytest.FixtureRequest, stack_factory: StackFactory) -> RunningStack:
    """One healthy stack per backend, shared by the tests of a session (SQLite, PostgreSQL+Redis)."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_stack")
    return stack_factory(request.param)


SHOWN_IN_SUMMARY = "shown in summary"  # a test's user property whose value the terminal summary repeats


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Lines a proof wants in CI's log even when it passes (its own output is captured): the
    staging rehearsal's URLs and verdicts, say. They come through xdist in the reports."""
    lines = [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == SHOWN_IN_SUMMARY
    ]
    if lines:
        terminalreporter.section("what the proofs showed")
        for line in lines:
            terminalreporter.write_line(str(line))
