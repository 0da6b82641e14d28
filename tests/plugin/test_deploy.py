"""Deploy awareness against real local stacks: secrets checked before the first test,
auto-start of a managed stack (once, also under -n 2; stopped only if this run started it),
--wait-for-deploy and --expect-version (healthy and `stale_version` stacks), and an
unreachable environment reported in one line within 10 s."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest

from shopflow_qa.core.environment import load_environments
from shopflow_stack import runner
from tests.conftest import claim_port_base
from tests.plugin.inner_runs import run_inline, run_subprocess

SHA = "abc1234" + "5" * 33  # what the versioned stacks report as their build
USES_ENV = """
import os, pathlib

def test_uses_the_environment(shopflow_env, shopflow_health):
    pathlib.Path(os.environ["RAN_MARKER"]).write_text(shopflow_health.version)
    assert shopflow_health.reachable
"""
FOUR_USE_ENV = """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_each_worker_sees_the_stack(shopflow_env, shopflow_health, n):
    assert shopflow_health.ok
"""
ADMIN_USES_ENV = """
import pytest

@pytest.mark.admin
def test_admin_work(shopflow_env): pass
"""


@pytest.fixture(scope="module")
def versioned_stack(stack_factory):
    return stack_factory(name=f"t-plugin-ver-{uuid.uuid4().hex[:6]}", version=SHA)


@pytest.fixture(scope="module")
def stale_stack(stack_factory):
    return stack_factory(faults=("stale_version",), name=f"t-plugin-stale-{uuid.uuid4().hex[:6]}", version=SHA)


@pytest.fixture
def ran(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file the inner test writes: proof whether any test ran."""
    marker = pytester.path / "ran.txt"
    monkeypatch.setenv("RAN_MARKER", str(marker))
    return marker


def _local_secrets_toml(name: str) -> str:
    local = load_environments()["local"]
    lines = [
        f"[environments.{name}.secrets]",
        *(f'{r} = "{v}"' for r, v in local.secret_variables.items()),
        f"[environments.{name}.default_secrets]",
        *(f'{r} = "{v}"' for r, v in local.default_secrets.items()),
    ]
    return "\n".join(lines) + "\n"


def _managed_env_file(path: Path, name: str, base: int) -> Path:
    urls = "\n".join(f'{role}_url = "http://127.0.0.1:{base + i}"' for i, role in enumerate(("web", "admin", "api", "payments")))
    path.write_text(
        f'[environments.{name}]\n{urls}\nmanaged_stack = true\nstack_name = "{name}"\n'
        f"allow_default_secrets = true\n" + _local_secrets_toml(name)
    )
    return path


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- secrets ------------------------------------------------------------------------------


def test_missing_secrets_are_one_line_before_any_test(pytester, monkeypatch, versioned_stack, ran) -> None:
    for variable in load_environments()["local"].secret_variables.values():
        monkeypatch.delenv(variable, raising=False)
    strict = pytester.path / "strict.toml"
    strict.write_text(f"[environments.{versioned_stack.name}]\nallow_default_secrets = false\n")
    args = ("--env", versioned_stack.name, "--env-file", str(versioned_stack.env_file), "--env-file", str(strict))
    pytester.makepyfile(test_plain=USES_ENV)
    result = run_inline(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    result.stderr.fnmatch_lines(
        [
            f"ERROR: shopflow: environment '{versioned_stack.name}' needs $SHOPFLOW_LOCAL_TOKEN: "
            "set it before the run (the value is never printed)"
        ]
    )

    monkeypatch.setenv("SHOPFLOW_LOCAL_TOKEN", "tok-9f8e7d-never-print-me")
    run_inline(pytester, *args).assert_outcomes(passed=1)  # admin secrets not needed: no admin test

    pytester.makepyfile(test_admin=ADMIN_USES_ENV)
    result = run_inline(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: shopflow: * needs $SHOPFLOW_LOCAL_ADMIN_TOKEN, $SHOPFLOW_LOCAL_ADMIN_USER, $SHOPFLOW_LOCAL_ADMIN_PASSWORD: *"]
    )
    assert "tok-9f8e7d-never-print-me" not in result.stdout.str() + result.stderr.str()


# -- versions -----------------------------------------------------------------------------


def test_expect_version_accepts_full_sha_and_7_char_prefix(pytester, versioned_stack, ran) -> None:
    pytester.makepyfile(USES_ENV)
    args = ("--env", versioned_stack.name, "--env-file", str(versioned_stack.env_file))
    for expected in (SHA, SHA[:7], SHA[:12]):
        result = run_inline(pytester, *args, "--expect-version", expected)
        result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"shopflow: {versioned_stack.name} */health: ok, deployed version {SHA}"])
    assert ran.read_text() == SHA


def test_wrong_version_stops_the_run_before_any_test(pytester, versioned_stack, ran) -> None:
    pytester.makepyfile(USES_ENV)
    result = run_inline(
        pytester, "--env", versioned_stack.name, "--env-file", str(versioned_stack.env_file), "--expect-version", "deadbeefcafe"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    result.stderr.fnmatch_lines([f"ERROR: shopflow: deploy not live: expected version deadbeefcafe, */health reports {SHA}"])


def test_waiting_for_a_version_a_stale_stack_never_reports_times_out(pytester, stale_stack, ran) -> None:
    pytester.makepyfile(USES_ENV)
    started = time.monotonic()
    result = run_inline(
        pytester,
        "--env",
        stale_stack.name,
        "--env-file",
        str(stale_stack.env_file),
        "--expect-version",
        SHA[:7],
        "--wait-for-deploy",
        "2",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    result.stderr.fnmatch_lines(
        ["ERROR: shopflow: deploy not live after 2 s: expected version abc1234, */health reports 0000000-stale"]
    )
    assert time.monotonic() - started >= 1.4  # it polled (every 0.5 s until the next poll would pass 2 s)


def test_wait_for_deploy_passes_at_once_on_a_healthy_stack(pytester, versioned_stack, ran) -> None:
    pytester.makepyfile(USES_ENV)
    result = run_inline(
        pytester,
        "--env",
        versioned_stack.name,
        "--env-file",
        str(versioned_stack.env_file),
        "--wait-for-deploy",
        "30",
        "--expect-version",
        SHA,
    )
    result.assert_outcomes(passed=1)


def test_unreachable_environment_is_one_line_within_10_s(pytester, ran) -> None:
    with socket.socket() as holder:  # a port nothing listens on
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
    gone = pytester.path / "gone.toml"
    gone.write_text(
        f'[environments.gone]\nweb_url = "http://127.0.0.1:{port}"\napi_url = "http://127.0.0.1:{port}"\n'
        "allow_default_secrets = true\n" + _local_secrets_toml("gone")
    )
    pytester.makepyfile(USES_ENV + FOUR_USE_ENV.replace("import pytest", "import pytest as _p").replace("@pytest", "@_p"))
    started = time.monotonic()
    result = run_inline(pytester, "--env", "gone", "--env-file", str(gone))
    elapsed = time.monotonic() - started
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    result.stderr.fnmatch_lines(
        [
            f"ERROR: shopflow: environment 'gone' is not reachable: http://127.0.0.1:{port}/health "
            "unreachable (ConnectError*); start it, or pass --wait-for-deploy SECONDS"
        ]
    )
    assert len([item for item in result.stderr.lines if item.startswith("ERROR")]) == 1
    assert elapsed < 10, f"took {elapsed:.1f} s"


def test_a_host_that_is_not_shopflow_is_one_line_and_no_test_runs(pytester, ran) -> None:
    """An HTML page (a wrong URL, a proxy's error page) on /health is a usage error, not a
    red smoke test."""
    from tests.fixtures.countingserver import CountingServer

    server = CountingServer(routes={("GET", "/health"): (404, {"detail": "Not Found"})}).start()
    try:
        foreign = pytester.path / "foreign.toml"
        foreign.write_text(
            f'[environments.foreign]\nweb_url = "{server.url}"\napi_url = "{server.url}"\n'
            "allow_default_secrets = true\n" + _local_secrets_toml("foreign")
        )
        pytester.makepyfile(USES_ENV)
        started = time.monotonic()
        result = run_inline(pytester, "--env", "foreign", "--env-file", str(foreign))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert result.ret == pytest.ExitCode.USAGE_ERROR and not ran.exists()
    result.stderr.fnmatch_lines(
        [
            f"ERROR: shopflow: environment 'foreign': {server.url}/health answered HTTP 404 "
            "(application/json): not a ShopFlow health answer"
        ]
    )
    assert len([item for item in result.stderr.lines if item.startswith("ERROR")]) == 1
    assert elapsed < 2, f"took {elapsed:.1f} s"


HANGS_AFTER_A_REQUEST = """
import os, pathlib, time

def test_hangs(api):
    api.get("/api/products")
    pathlib.Path(os.environ["READY_MARKER"]).touch()
    time.sleep(60)
"""


def test_sigterm_stops_a_run_like_ctrl_c_and_its_data_is_still_purged(pytester, monkeypatch) -> None:
    """A cancelled CI job (SIGTERM to `pytest`): teardown runs and the run's purge is sent,
    rather than pytest dying on the spot with the run's data left on the target."""
    import signal
    import subprocess
    import sys

    from tests.fixtures.countingserver import CountingServer

    server = CountingServer().start()
    try:
        env_file = pytester.path / "counting.toml"
        env_file.write_text(
            f'[environments.counting]\nweb_url = "{server.url}"\napi_url = "{server.url}"\n'
            "allow_default_secrets = true\n" + _local_secrets_toml("counting")
        )
        pytester.makepyfile(HANGS_AFTER_A_REQUEST)
        ready = pytester.path / "ready"
        monkeypatch.setenv("READY_MARKER", str(ready))
        monkeypatch.setenv("SHOPFLOW_RUN_ID", "sigterm-proof-1")
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:locust",
                "-p",
                "no:cacheprovider",
                "--env",
                "counting",
                "--env-file",
                str(env_file),
            ],
            cwd=pytester.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        child.send_signal(signal.SIGTERM)
        output, _ = child.communicate(timeout=60)
    finally:
        server.stop()
    assert child.returncode == pytest.ExitCode.INTERRUPTED, output
    assert ("DELETE", "/api/admin/test-runs/sigterm-proof-1") in {(seen.method, seen.path) for seen in server.seen}


# -- auto-start ---------------------------------------------------------------------------


def test_auto_start_starts_a_managed_stack_and_stops_it_after(pytester, ran) -> None:
    name = f"t-plugin-auto-{uuid.uuid4().hex[:6]}"
    base = claim_port_base(name)
    env_file = _managed_env_file(pytester.path / "managed.toml", name, base)
    pytester.makepyfile(USES_ENV)
    try:
        result = run_inline(pytester, "--env", name, "--env-file", str(env_file))
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([f"shopflow: started local stack '{name}' (stopped at the end of this run)"])
        assert runner.read_state(name) is None and not _listening(base + 2)
    finally:
        runner.down(name)


def test_auto_start_leaves_an_already_running_stack_alone(pytester, versioned_stack, ran) -> None:
    managed = pytester.path / "managed.toml"
    managed.write_text(f"[environments.{versioned_stack.name}]\nmanaged_stack = true\n")
    pytester.makepyfile(USES_ENV)
    result = run_inline(
        pytester, "--env", versioned_stack.name, "--env-file", str(versioned_stack.env_file), "--env-file", str(managed)
    )
    result.assert_outcomes(passed=1)
    assert "started local stack" not in result.stdout.str()
    state = runner.read_state(versioned_stack.name)
    assert state is not None and runner.is_running(state)


def test_auto_start_happens_once_under_two_workers(pytester) -> None:
    name = f"t-plugin-xd-{uuid.uuid4().hex[:6]}"
    base = claim_port_base(name)
    env_file = _managed_env_file(pytester.path / "managed.toml", name, base)
    pytester.makepyfile(FOUR_USE_ENV)
    try:
        result = run_subprocess(pytester, "-n", "2", "--env", name, "--env-file", str(env_file))
        result.assert_outcomes(passed=4)
        assert result.stdout.str().count("shopflow: started local stack") == 1
        api_log = runner.stack_dir(name) / "logs" / "api.log"
        assert api_log.read_text().count("Application startup complete") == 1
        assert runner.read_state(name) is None and not _listening(base + 2)
    finally:
        runner.down(name)


def test_a_selection_that_does_not_use_the_environment_never_contacts_it(pytester) -> None:
    gone = pytester.path / "gone.toml"
    gone.write_text('[environments.gone]\nweb_url = "http://127.0.0.1:9"\napi_url = "http://127.0.0.1:9"\n')
    pytester.makepyfile("def test_pure_unit():\n    assert 1 + 1 == 2\n")
    result = run_inline(pytester, "--env", "gone", "--env-file", str(gone))  # no token either: not needed
    result.assert_outcomes(passed=1)
    assert "/health" not in result.stdout.str()


RUN_ID = """
import os, pathlib, pytest

@pytest.mark.parametrize("n", range(4))
def test_record_run_id(shopflow_run_id, worker_id, n):
    out = pathlib.Path(os.environ["RUN_IDS"]) / f"{worker_id}-{n}"
    out.write_text(shopflow_run_id)
"""


def test_run_id_is_shared_by_workers_and_new_each_run(pytester, monkeypatch) -> None:
    monkeypatch.delenv("SHOPFLOW_RUN_ID", raising=False)
    pytester.makepyfile(RUN_ID)
    seen = []
    for run in ("first", "second"):
        folder = pytester.mkdir(run)
        monkeypatch.setenv("RUN_IDS", str(folder))
        run_subprocess(pytester, "-n", "2").assert_outcomes(passed=4)
        ids = {path.read_text() for path in folder.iterdir()}
        workers = {path.name.split("-")[0] for path in folder.iterdir()}
        assert len(ids) == 1 and workers == {"gw0", "gw1"}
        seen.append(ids.pop())
    assert seen[0] != seen[1]


def test_allure_environment_names_env_urls_and_version_never_a_secret(pytester, versioned_stack, ran) -> None:
    pytester.makepyfile(USES_ENV)
    results = pytester.path / "allure-results"
    run_subprocess(
        pytester, "--env", versioned_stack.name, "--env-file", str(versioned_stack.env_file), "--alluredir", str(results)
    ).assert_outcomes(passed=1)
    properties = dict(line.split("=", 1) for line in (results / "environment.properties").read_text().splitlines())
    assert properties["env"] == versioned_stack.name and properties["version"] == SHA
    assert properties["url.api"] == versioned_stack.api_url and properties["policy"] == "read-write"
    text = (results / "environment.properties").read_text()
    assert not any(secret in text for secret in load_environments()["local"].default_secrets.values())
