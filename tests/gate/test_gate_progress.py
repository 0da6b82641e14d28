"""Progress where people look: heartbeat lines in a CI log (no TTY), `::error` annotations in
GitHub Actions. The runs are real gates against a stack slowed by its `slow_api` fault, their
output read line by line as it arrives, so the gaps measured are the ones a CI log shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shopflow_qa.cli import gate_annotations, gate_summary
from shopflow_qa.cli.gate_model import DEFAULT_HEARTBEAT_S
from shopflow_qa.cli.gate_progress import GateProgress, WaitWatch, locust_counts, pytest_counts
from tests.gate import fake_suite

REPO_ROOT = Path(__file__).resolve().parents[2]
CI_SILENCE_S = 15.0  # what the gate promises a CI log: never longer without a line
SLACK_S = 3.0  # the heartbeat's tick and a loaded 2-core machine
PASSWORD = "pw-never-in-a-log-7781"  # the environment's admin password: must not reach an annotation

CONFTEST = fake_suite.conftest(timeout_s=30, token="local-service-token")  # the local stack's documented token

TESTS = """
import os

import pytest

SLOW_CALLS = int(os.environ.get("GATE_TEST_SLOW_CALLS", "3"))


@pytest.mark.smoke
@pytest.mark.nondestructive
def test_products_answer_slowly(api):
    for _ in range(SLOW_CALLS):
        assert api.get("/api/products").status_code == 200


@pytest.mark.contract
def test_products_answer_slowly_and_red(api):
    for _ in range(SLOW_CALLS):
        api.get("/api/products")
    password = os.environ["SHOPFLOW_LOCAL_ADMIN_PASSWORD"]
    assert False, f"total differs (logged in with {password})"
"""


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suites")
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_slow.py").write_text(TESTS)
    return folder


@pytest.fixture(scope="module")
def slow_stack(stack_factory):
    """Every /api request takes 2.5 s longer: a smoke test of three requests lasts ~8 s."""
    return stack_factory("sqlite", faults=("slow_api:2500",), name=f"gate-slow-{os.getpid()}")


def _timed_gate(args: list[str], environ: dict[str, str], timeout: float = 300) -> tuple[int, list[tuple[float, str]], float]:
    """Run the gate with its output on a pipe (not a TTY); every line with the time it arrived,
    and the total run time."""
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "shopflow_qa.cli", "gate", *args],
        cwd=REPO_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append((time.monotonic() - start, line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = process.wait(timeout=timeout)
    reader.join(timeout=10)
    return code, lines, time.monotonic() - start


def _gaps(lines: list[tuple[float, str]], total: float) -> list[float]:
    """Silences of the log between consecutive lines, and from the last line to the exit (the
    first line comes one heartbeat after the gate started, plus Python's start-up)."""
    times = [*(t for t, _ in lines), total]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def _environ(tmp_path: Path, stack, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "GITHUB_ACTIONS")}
    environ.update(
        SHOPFLOW_REPORTS_DIR=str(tmp_path / "reports"),
        GATE_TEST_API_URL=stack.api_url,
        SHOPFLOW_LOCAL_ADMIN_PASSWORD=PASSWORD,
        **extra,
    )
    return environ


def test_a_ci_log_hears_from_the_gate_every_few_seconds_with_counts_and_annotations(
    slow_stack, suites: Path, tmp_path: Path
) -> None:
    """--quiet (as CI runs it) without a TTY: heartbeat lines with the tests' and the load's
    counts at most --heartbeat apart; in GitHub Actions the red test and the breached SLO (the
    slow stack cannot meet local's p95) are `::error` annotations, the password redacted."""
    interval = 2.0
    code, lines, total = _timed_gate(
        [
            *("--env", slow_stack.name, "--env-file", str(slow_stack.env_file)),
            *("--suites-path", str(suites), "--suites", "smoke,contract"),
            *("--load", "browse", "--load-duration", "5s", "--heartbeat", f"{interval:g}s", "--quiet"),
        ],
        _environ(tmp_path, slow_stack, GITHUB_ACTIONS="true"),
    )
    text = "\n".join(line for _, line in lines)
    assert code == 1, text
    print(f"--heartbeat 2s: longest silence {max(_gaps(lines, total)):.1f} s of {total:.0f} s, {len(lines)} lines")
    assert max(_gaps(lines, total)) <= interval + SLACK_S, text
    beats = [line for _, line in lines if line.startswith("· ")]
    assert any(line.startswith("· smoke") and "passed" in line and "failed" in line for line in beats), text
    assert any(line.startswith("· areas") and "(of 1)" in line for line in beats), text
    run = (tmp_path / "reports" / "latest").resolve()
    assert json.loads((run / "logs" / "progress-smoke.json").read_text()) == {"total": 1, "passed": 1, "failed": 0, "skipped": 0}
    assert json.loads((run / "logs" / "progress-areas.json").read_text()) == {"total": 1, "passed": 0, "failed": 1, "skipped": 0}
    assert any(line.startswith("· load") and "requests" in line and "failures" in line for line in beats), text
    errors = [line for _, line in lines if line.startswith("::error")]
    assert any("test_products_answer_slowly_and_red" in line and "total differs" in line for line in errors), text
    assert any(line.startswith("::error title=SLO breached::") for line in errors), text
    assert PASSWORD not in text


def test_the_deploy_wait_says_how_long_it_waited_and_which_version_it_saw(slow_stack, suites: Path, tmp_path: Path) -> None:
    code, lines, total = _timed_gate(
        [
            *("--env", slow_stack.name, "--env-file", str(slow_stack.env_file), "--suites-path", str(suites)),
            *("--expect-version", "deadbee", "--wait-for-deploy", "5", "--heartbeat", "1s", "--no-load"),
        ],
        _environ(tmp_path, slow_stack),
    )
    text = "\n".join(line for _, line in lines)
    assert code == 2, text
    waits = [line for _, line in lines if line.startswith("· wait")]
    assert waits and all("waited" in line and "of 5, version seen" in line for line in waits), text
    assert max(_gaps(lines, total)) <= 1 + SLACK_S, text


def test_the_default_heartbeat_keeps_a_ci_log_within_15_s(slow_stack, suites: Path, tmp_path: Path) -> None:
    """No --heartbeat: a smoke stage of ~18 s (seven slow requests) still never leaves the log
    silent for more than 15 s."""
    assert DEFAULT_HEARTBEAT_S < CI_SILENCE_S
    code, lines, total = _timed_gate(
        [
            *("--env", slow_stack.name, "--env-file", str(slow_stack.env_file), "--suites-path", str(suites)),
            *("--suites", "smoke", "--no-load", "--quiet"),
        ],
        _environ(tmp_path, slow_stack, GATE_TEST_SLOW_CALLS="7"),
    )
    text = "\n".join(f"{t:6.1f} {line}" for t, line in lines)
    assert code == 0, text
    assert total > CI_SILENCE_S, "the run must outlast the bound it proves"
    assert any(line.startswith("· smoke") for _, line in lines), text
    print(
        f"default heartbeat: first line at {lines[0][0]:.1f} s, longest silence {max(_gaps(lines, total)):.1f} s of {total:.0f} s"
    )
    assert lines[0][0] <= CI_SILENCE_S + SLACK_S and max(_gaps(lines, total)) <= CI_SILENCE_S + SLACK_S, text


# What the heartbeat and the bar read, without a gate around them.


def test_pytest_counts_read_the_progress_file(tmp_path: Path) -> None:
    progress = tmp_path / "progress.json"
    counts = pytest_counts(progress)
    assert counts().text == "collecting"
    progress.write_text('{"total": 9, "passed": 3, "failed": 1, "skipped": 2}')
    snapshot = counts()
    assert snapshot.text == "3 passed, 1 failed, 2 skipped (of 9)"
    assert (snapshot.done, snapshot.total) == (6, 9)


def test_locust_counts_read_the_aggregated_row(tmp_path: Path) -> None:
    stats = tmp_path / "run" / "locust_stats.csv"
    stats.parent.mkdir()
    stats.write_text(
        "Type,Name,Request Count,Failure Count\nGET,/api/products,120,2\n,Aggregated,150,3\n",
    )
    assert locust_counts(tmp_path, 30.0, time.monotonic())().text == "150 requests, 3 failures"


def test_a_half_written_file_shows_no_counts_rather_than_crashing(tmp_path: Path) -> None:
    progress = GateProgress.__new__(GateProgress)  # only the reading path is exercised
    GateProgress.__init__(progress, console=None, interval_s=1, live=False)  # type: ignore[arg-type]
    (tmp_path / "progress.json").write_text('{"total": 9, "pass')
    with progress.stage("smoke", "smoke tests …"):
        progress.counts(pytest_counts(tmp_path / "progress.json"))
        assert progress.heartbeat_line() == "· smoke 0 s"
    assert progress.heartbeat_line() is None


def test_the_wait_watch_names_the_last_version_seen() -> None:
    watch = WaitWatch(900, time.monotonic())
    watch.seen("abc1234", "ok")
    assert watch.snapshot().text == "waited 0 s of 900, version seen abc1234 (ok)"


def test_annotations_escape_and_redact() -> None:
    outcomes = [
        gate_summary.TestOutcome("suites/checkout/test_pay.py::test_pay", "checkout", "failed", 1.0, "50% off\nkey s3cret"),
        gate_summary.TestOutcome("suites/api/test_ok.py::test_ok", "contract", "passed", 1.0),
    ]
    slos = [{"name": "p95_ms[GET /api/products]", "measured": "2600", "limit": "400", "passed": False}]
    lines = gate_annotations.lines(outcomes, slos, lambda text: text.replace("s3cret", "[REDACTED]"))
    assert lines == [
        "::error file=suites/checkout/test_pay.py,title=failed%3A suites/checkout/test_pay.py%3A%3Atest_pay"
        "::50%25 off%0Akey [REDACTED]",
        "::error title=SLO breached::SLO breached: p95_ms[GET /api/products] measured 2600, limit 400",
    ]
    assert gate_annotations.enabled({"GITHUB_ACTIONS": "true"}) and not gate_annotations.enabled({})


def test_on_a_terminal_the_counts_drive_a_live_bar_and_no_heartbeat_lines(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    progress_file = tmp_path / "progress.json"
    progress_file.write_text('{"total": 4, "passed": 2, "failed": 1, "skipped": 0}')
    with GateProgress(console, interval_s=0.0, live=True) as progress, progress.stage("areas", "checkout (-n 2) …"):
        progress.counts(pytest_counts(progress_file))
        time.sleep(1.5)
    shown = screen.getvalue()
    assert "checkout (-n 2)" in shown and "2 passed, 1 failed, 0 skipped (of 4)" in shown
    assert "━" in shown, "a bar, not only words"
    assert "· areas" not in shown
