"""`shopflow-qa load` for real: Locust in a subprocess against real local stacks, a few seconds each.

Proves the exit codes (0 met, 1 breached and named, 2 refused/bad input), the run folder
(Locust HTML/CSV, summary.json the gate reads, the plot), that checkout_flow loses nothing
(orders carrying the run's tag = successful checkouts, on SQLite and PostgreSQL), and the self-test: the same profile
goes red on a stack with the `slow_api` fault, for the latency reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.secret_scan import secret_leaks
from shopflow_qa.core import slo
from shopflow_qa.core.environment import resolve_environment
from shopflow_qa.core.load_summary import LoadSummary

REPO_ROOT = Path(__file__).resolve().parents[2]
CI_SLOS = Path(__file__).with_name("slos-ci.toml")  # same schema, loose limits: no flakes on busy cores


def shopflow_load(
    tmp_path: Path, *args: str, run_id: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    env["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    if run_id:
        env["SHOPFLOW_RUN_ID"] = run_id
    if "--slos" not in args and "production" not in args and "nowhere" not in args:
        args = (*args, "--slos", str(CI_SLOS))
    return subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "load", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def on(stack) -> tuple[str, ...]:
    """Command-line options that aim at a test stack (its env.toml names the environment after it)."""
    return ("--env", stack.name, "--env-file", str(stack.env_file))


def summary_of(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())


@pytest.mark.parametrize(
    "args, message",
    [
        (["shopping"], "unknown load profile 'shopping'"),
        (["browse", "--duration", "soon"], "--duration: expected e.g. 30s"),
        (["browse", "--duration", "7h"], "between 1s and 6h"),
        (["browse", "--slo", "p95_ms=3"], "--slo: unknown threshold"),
        (["browse", "--shape", "wave"], "--shape: unknown shape 'wave'"),
        (["browse", "--rate", "5"], "--rate: needs --shape constant_rate"),
        (["browse", "--workers", "99"], "--workers: must be between 0 and 16"),
        (["browse", "--env", "production"], "refused on production"),
        (["browse", "--env", "nowhere"], "unknown environment 'nowhere'"),
        (["browse", "--slos", "/dev/null"], "no load SLOs for 'local'"),
    ],
)
def test_bad_input_and_a_read_only_environment_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = shopflow_load(tmp_path, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and not (tmp_path / "reports").exists()


def test_browse_meets_its_slos_and_writes_the_run_folder(tmp_path: Path, sqlite_stack) -> None:
    result = shopflow_load(tmp_path, "browse", *on(sqlite_stack), "--users", "2", "--duration", "3s", "-q", "--plot")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    run = (tmp_path / "reports" / "latest").resolve()
    summary = summary_of(tmp_path)
    assert summary["verdict"] == "passed" and summary["environment"] == sqlite_stack.name
    assert summary["api_url"] == sqlite_stack.api_url and summary["total"]["count"] > 0
    assert summary["total"]["failures"] == 0 and "GET /api/products" in summary["endpoints"]
    assert set(summary["endpoints"]) <= slo.REQUEST_NAMES, "the SLO checker knows every request the profile makes"
    assert summary["thresholds"] and all(t["passed"] for t in summary["thresholds"])
    for name in ("locust.html", "locust_stats.csv", "locust_stats_history.csv", "latency.png"):
        assert (run / name).stat().st_size > 0, name
    rows = gate_summary.slo_rows(LoadSummary.from_json(summary))  # the gate's reader of this summary
    assert rows and all(r.passed for r in rows) and rows[0].name == "error_rate"
    assert "all SLOs met" in result.stdout
    _assert_no_secret(run, result, sqlite_stack)


def _assert_no_secret(run: Path, result: subprocess.CompletedProcess[str], stack) -> None:
    """The stack's secrets (the service token the users sent on every request, the admin token
    of the closing purge…) are in no file of the run folder (Locust HTML, CSVs, summary.json,
    logs) nor on the terminal, in any form the gate's scan knows (plain, escaped, URL-encoded,
    base64, zip members)."""
    secrets = resolve_environment(stack.name, [str(stack.env_file)]).secret_values()
    assert "local-service-token" in secrets
    (run / "terminal.txt").write_text(result.stdout + result.stderr)
    assert secret_leaks(run, secrets) == []


def test_an_impossible_threshold_exits_1_and_names_it(tmp_path: Path, sqlite_stack) -> None:
    result = shopflow_load(
        tmp_path, "api_mix", *on(sqlite_stack), "--users", "2", "--duration", "2s", "-q", "--slo", "min_rps=100000"
    )
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "SLO breached: min_rps" in result.stdout, result.stdout[-2000:]  # the verdict line, if another also breached
    summary = summary_of(tmp_path)
    breached = [t for t in summary["thresholds"] if not t["passed"]]
    assert [(t["name"], t["limit"]) for t in breached] == [("min_rps", 100000)]
    assert set(summary["endpoints"]) <= slo.REQUEST_NAMES, "the SLO checker knows every request the profile makes"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_checkout_flow_loses_nothing_every_successful_checkout_is_a_tagged_order(
    tmp_path: Path, backend: str, stack_factory, request
) -> None:
    sqlite_stack = request.getfixturevalue("sqlite_stack") if backend == "sqlite" else stack_factory(backend, until=request)
    run_id = f"load-test-{uuid.uuid4().hex[:8]}"
    result = shopflow_load(tmp_path, "checkout_flow", *on(sqlite_stack), "--users", "3", "--duration", "4s", "-q", run_id=run_id)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = summary_of(tmp_path)
    assert summary["run_id"] == run_id and summary["successful_checkouts"] > 0
    assert summary["endpoints"]["POST /api/orders/[id]/pay"]["count"] >= summary["successful_checkouts"]
    counts = httpx.get(
        f"{sqlite_stack.api_url}/api/admin/test-runs/{run_id}", headers={"Authorization": "Bearer local-admin-token"}, timeout=10
    ).json()
    assert summary["checks"]["failed"] == 0
    assert counts["orders"] == summary["successful_checkouts"], (counts, summary["api_url"], sqlite_stack.api_url)
    _assert_no_secret((tmp_path / "reports" / "latest").resolve(), result, sqlite_stack)
    assert set(summary["endpoints"]) <= slo.REQUEST_NAMES, "the SLO checker knows every request the profile makes"


@pytest.fixture(scope="module")
def slow_api_stack(stack_factory, request):
    """One stack with the slow_api fault (1500 ms a request) for this module's red runs."""
    return stack_factory("sqlite", faults=("slow_api",), until=request)


def test_self_test_browse_fails_its_latency_slo_on_a_slow_api_stack(tmp_path: Path, slow_api_stack) -> None:
    slow = slow_api_stack
    result = shopflow_load(tmp_path, "browse", *on(slow), "--users", "2", "--duration", "4s", "-q")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    summary = summary_of(tmp_path)
    assert summary["faults"] and "slow_api" in str(summary["faults"])
    breached = {t["name"] for t in summary["thresholds"] if not t["passed"]}
    assert "p95_ms[GET /api/products]" in breached
    assert all(t["metric"] in ("p95_ms", "p99_ms", "min_rps") for t in summary["thresholds"] if not t["passed"])
    assert summary["total"]["failures"] == 0  # slow, not broken: the latency thresholds are what failed


def test_abort_on_breach_stops_a_slow_api_run_well_before_its_duration(tmp_path: Path, slow_api_stack) -> None:
    started = time.monotonic()
    result = shopflow_load(
        tmp_path,
        "browse",
        *on(slow_api_stack),
        "--users",
        "2",
        "--duration",
        "90s",
        "-q",
        "--abort-on-breach",
        "--abort-grace",
        "2",
        "--abort-sustain",
        "1",
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert elapsed < 45, elapsed
    aborted = summary_of(tmp_path)["aborted"]
    assert aborted["metric"] in ("p95_ms", "p99_ms") and aborted["measured"] >= 1000 and aborted["aborted_at_s"] < 30
    assert f"aborting at {aborted['aborted_at_s']} s: {aborted['name']}" in result.stdout


def test_constant_rate_holds_its_rate_with_no_dropped_iterations(tmp_path: Path, sqlite_stack) -> None:
    result = shopflow_load(
        tmp_path, "api_mix", *on(sqlite_stack), "--shape", "constant_rate", "--rate", "5", "--duration", "4s", "-q"
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    arrivals = summary_of(tmp_path)["arrivals"]
    assert arrivals["scheduled"] == 20 and arrivals["dropped"] == 0 and arrivals["started"] >= 18, arrivals
    assert "arrivals at 5/s:" in result.stdout


def test_constant_rate_reports_dropped_iterations_and_breaches_latency_on_slow_checkout(
    tmp_path: Path, stack_factory, request
) -> None:
    slow = stack_factory("sqlite", faults=("slow_checkout",), until=request)
    result = shopflow_load(
        tmp_path, "checkout_flow", *on(slow), "--shape", "constant_rate", "--rate", "4", "--users", "2", "--duration", "5s", "-q"
    )
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    summary = summary_of(tmp_path)
    assert summary["arrivals"]["dropped"] > 0, summary["arrivals"]
    breached = {t["name"] for t in summary["thresholds"] if not t["passed"]}
    assert "p95_ms[POST /api/orders]" in breached, breached


def test_two_workers_share_the_load_and_the_summary_counts_both(tmp_path: Path, sqlite_stack) -> None:
    result = shopflow_load(tmp_path, "browse", *on(sqlite_stack), "--workers", "2", "--users", "4", "--duration", "4s", "-q")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = summary_of(tmp_path)
    per_worker = summary["requests_per_worker"]
    assert sorted(per_worker) == ["w1", "w2"] and all(n > 0 for n in per_worker.values()), per_worker
    assert sum(per_worker.values()) == summary["total"]["count"]


def _tagged_rows(stack, run_id: str) -> int:
    counts = httpx.get(
        f"{stack.api_url}/api/admin/test-runs/{run_id}", headers={"Authorization": "Bearer local-admin-token"}, timeout=10
    ).json()
    return sum(v for k, v in counts.items() if k != "tag")


def _interrupt_a_run(
    tmp_path: Path, stack, signals: int, sig: int = signal.SIGINT, run_id: str = "", mark: dict[str, str] | None = None
) -> tuple[int, str, float]:
    """Start a 60 s checkout_flow run, wait until it has placed orders, send `sig` `signals`
    times (as Ctrl-C would, 0.3 s apart); (exit code, output, seconds from the first signal to exit)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    env.update(
        SHOPFLOW_REPORTS_DIR=str(tmp_path / "reports"),
        SHOPFLOW_RUN_ID=run_id or f"load-int-{uuid.uuid4().hex[:8]}",
        **(mark or {}),
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            "checkout_flow",
            *on(stack),
            "--users",
            "2",
            "--duration",
            "60s",
            "-q",
            "--slos",
            str(CI_SLOS),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None and "load checkout_flow on" in child.stdout.readline()
        deadline = time.monotonic() + 60
        while _tagged_rows(stack, env["SHOPFLOW_RUN_ID"]) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)  # Locust started and the flows made tagged carts and orders
        started = time.monotonic()
        for index in range(signals):
            if index:
                time.sleep(0.3)
            child.send_signal(sig)
        output, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, 9)
            child.wait()
    return child.returncode, output, time.monotonic() - started


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_drains_purges_writes_partial_reports_and_exits_3(tmp_path: Path, sqlite_stack, sig: int) -> None:
    """Ctrl-C or SIGTERM (a cancelled CI job) reaching `shopflow-qa load`: Locust drains and
    still writes its reports, the summary says so, the run's tagged data is purged, and no
    Locust process is left loading the target."""
    from tests.process_tree import leftovers, new_mark

    run_id, mark = f"load-int-{uuid.uuid4().hex[:8]}", new_mark()
    code, output, took = _interrupt_a_run(tmp_path, sqlite_stack, signals=1, sig=sig, run_id=run_id, mark=mark)
    assert code == 3, output[-2000:]
    assert leftovers(mark) == [], "Locust stopped with its parent"
    assert _tagged_rows(sqlite_stack, run_id) == 0, "the interrupted run's carts, orders and customers are purged"
    assert took < 30 and "interrupted, partial reports" in output and "Traceback" not in output
    run = (tmp_path / "reports" / "latest").resolve()
    assert (run / "locust.html").stat().st_size > 0 and (run / "locust_stats.csv").stat().st_size > 0
    summary = summary_of(tmp_path)
    assert summary["verdict"] == "interrupted" and summary["exit_code"] == 3 and summary["total"]["count"] > 0
    assert summary["test_data"]["status"] == "purged" and summary["test_data"]["purged"]["orders"] >= 1


def test_a_locust_that_dies_mid_run_still_purges_and_writes_the_summary(tmp_path: Path, sqlite_stack) -> None:
    """A crashed child: Locust killed with SIGKILL after it placed orders. The run's data is
    purged anyway, summary.json says `error`, and the exit is 2 with one line."""
    import psutil

    run_id = f"load-crash-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV")}
    env.update(SHOPFLOW_REPORTS_DIR=str(tmp_path / "reports"), SHOPFLOW_RUN_ID=run_id)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            "checkout_flow",
            *on(sqlite_stack),
            "--users",
            "2",
            "--duration",
            "60s",
            "-q",
            "--slos",
            str(CI_SLOS),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while _tagged_rows(sqlite_stack, run_id) < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        [locust] = [  # the master, or the one process on a 1-core machine (workers die with their master)
            p for p in psutil.Process(child.pid).children() if "locust" in " ".join(p.cmdline()) and "--worker" not in p.cmdline()
        ]
        locust.kill()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 2, out[-2000:] + err
    assert err.strip().splitlines()[-1].startswith("shopflow-qa: error: locust could not run (exit -9)"), err
    assert "Traceback" not in out + err
    assert _tagged_rows(sqlite_stack, run_id) == 0, "the crashed run's data is purged"
    summary = summary_of(tmp_path)
    assert summary["verdict"] == "error" and summary["exit_code"] == 2 and summary["test_data"]["status"] == "purged"


def test_a_second_interrupt_stops_at_once_and_still_writes_the_summary(tmp_path: Path, sqlite_stack) -> None:
    """Impatient Ctrl-C twice: no waiting for the drain, no traceback, and summary.json is there."""
    code, output, took = _interrupt_a_run(tmp_path, sqlite_stack, signals=2)
    assert code == 3, output[-2000:]
    assert "Traceback" not in output and "interrupted, partial reports" in output
    summary = summary_of(tmp_path)
    assert summary["verdict"] == "interrupted" and summary["exit_code"] == 3
