"""`pytest` and `python -m pytest` typed at the repository's root run the suites people run.

The selection is read from `--collect-only -q` (fast, nothing contacted); one real run of the
checkout journeys proves they pass against a managed stack the run starts on demand and stops.
The managed stack is an environment of its own on this run's ports (as `local` is on 8600…),
chosen through $SHOPFLOW_ENV and $SHOPFLOW_ENV_FILE, so the command is the one people type.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from shopflow_stack import runner
from shopflow_stack.defaults import DEFAULT_SECRETS, SECRET_VARIABLES
from tests.ops.conftest import write_env_file

REPO = Path(__file__).resolve().parents[2]
INVOCATIONS = {
    "pytest": (str(Path(sys.executable).with_name("pytest")),),
    "python -m pytest": (sys.executable, "-m", "pytest"),
}


def _from_the_root(
    invocation: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """ARGS as a person types them at the root: no outer run's PYTEST_* or environment choice."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SHOPFLOW_ENV", "SHOPFLOW_RUN"))}
    return subprocess.run(
        [*INVOCATIONS[invocation], "-p", "no:cacheprovider", *args],
        cwd=REPO,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@functools.cache
def _collected(invocation: str, *args: str) -> list[str]:
    """The test ids `--collect-only -q ARGS` lists (each listing made once per session)."""
    done = _from_the_root(invocation, "--collect-only", "-q", *args)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "error" not in done.stdout.splitlines()[-1], done.stdout[-3000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("invocation", INVOCATIONS)
def test_a_bare_run_collects_the_suites_and_nothing_else(invocation: str) -> None:
    ids = _collected(invocation)
    assert ids and all(i.startswith("suites/") for i in ids)
    assert {i.split("/")[1] for i in ids} >= {"smoke", "api", "payments", "checkout", "admin"}


@pytest.mark.parametrize("invocation", INVOCATIONS)
def test_marker_checkout_selects_exactly_the_checkout_journeys(invocation: str) -> None:
    selected = _collected(invocation, "-m", "checkout")
    journeys = [i for i in _collected(invocation) if i.startswith("suites/checkout/")]
    assert selected == journeys and len(selected) >= 9


@pytest.mark.parametrize("invocation", INVOCATIONS)
def test_smoke_on_production_selects_smoke_only_and_all_of_it_nondestructive(invocation: str) -> None:
    smoke = _collected(invocation, "-m", "smoke", "--env", "production")
    assert smoke and all(i.startswith("suites/smoke/") for i in smoke)
    if invocation != "pytest":
        return  # the markers are the same under both; each production listing resolves hosts (slow offline)
    done = _from_the_root(invocation, "--collect-only", "-q", "-m", "smoke and not nondestructive", "--env", "production")
    assert done.returncode == 5, done.stdout[-2000:]  # no smoke test that could write


@pytest.mark.parametrize("invocation", INVOCATIONS)
def test_the_harness_tests_import_each_other_under_both_invocations(invocation: str) -> None:
    # these modules import helpers as `tests.ops.conftest`, `tests.fixtures.countingserver`, …
    ids = _collected(invocation, "tests/ops", "tests/plugin/test_safety.py", "tests/stack/test_core_faults.py")
    assert {i.split("::")[0].split("/")[1] for i in ids} == {"ops", "plugin", "stack"}


def test_pytest_m_checkout_runs_the_journeys_against_a_stack_it_starts(tmp_path: Path) -> None:
    name = f"t-root-{uuid.uuid4().hex[:6]}"
    base = runner.default_port_base(name)
    urls = {f"{role}_url": f"http://127.0.0.1:{base + offset}" for offset, role in enumerate(("web", "admin", "api", "payments"))}
    env_file = write_env_file(
        tmp_path / "env.toml",
        name,
        **urls,
        managed_stack=True,
        stack_name=name,
        allow_default_secrets=True,
        capabilities={"mailbox": True, "server_logs": "local"},
        secrets=SECRET_VARIABLES,
        default_secrets=DEFAULT_SECRETS,
    )
    expected = len(_collected("pytest", "-m", "checkout"))
    try:
        done = _from_the_root(
            "pytest",
            "-m",
            "checkout",
            "--output",
            str(tmp_path / "test-results"),
            env={"SHOPFLOW_ENV": name, "SHOPFLOW_ENV_FILE": str(env_file), "SHOPFLOW_RUN_DIR": str(tmp_path / "run")},
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert re.search(rf"\b{expected} passed\b", done.stdout.splitlines()[-1]), done.stdout[-2000:]
        assert f"shopflow: started local stack '{name}' (stopped at the end of this run)" in done.stdout
    finally:
        state = runner.read_state(name)
        if state is not None and runner.is_running(state):
            runner.down(name)
            pytest.fail(f"the run left stack {name} running")
