"""A failing test that sent no request id of its own (a browser test, raw httpx) gets the
stack's log lines of its time window attached to its Allure result."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.conftest import allure_attachments

WINDOW_TEST = """
import httpx

def test_health_is_not_what_it_expected(shopflow_env):
    response = httpx.get(shopflow_env.url("api") + "/health?from=window-test")
    assert response.json()["status"] == "on fire"
"""

PASSING_TEST = """
import httpx

def test_health(shopflow_env):
    assert httpx.get(shopflow_env.url("api") + "/health").status_code == 200
"""


def _run(pytester: pytest.Pytester, ops_stack, tmp_path: Path, source: str) -> tuple[pytest.RunResult, Path]:
    pytester.makepyfile(test_window=source)
    results = tmp_path / "allure-results"
    outcome = pytester.runpytest_subprocess(
        "--env",
        ops_stack.name,
        "--env-file",
        str(ops_stack.env_file),
        f"--alluredir={results}",
        "-p",
        "no:cacheprovider",
        "--output",
        str(tmp_path / "artefacts"),
    )
    return outcome, results


def test_failed_test_without_request_ids_gets_its_time_window(pytester: pytest.Pytester, ops_stack, tmp_path: Path):
    outcome, results = _run(pytester, ops_stack, tmp_path, WINDOW_TEST)
    outcome.assert_outcomes(failed=1)
    server_logs = allure_attachments(results)["Server logs (time window)"]
    assert server_logs.startswith(f"# local stack '{ops_stack.name}': ")
    assert any(line.startswith("[api] ") and "/health" in line for line in server_logs.splitlines()[1:]), server_logs
    saved = list((tmp_path / "artefacts").glob("*/server-logs.txt"))
    assert len(saved) == 1 and saved[0].read_text() == server_logs


def test_passing_test_gets_no_server_logs(pytester: pytest.Pytester, ops_stack, tmp_path: Path):
    outcome, _ = _run(pytester, ops_stack, tmp_path, PASSING_TEST)
    outcome.assert_outcomes(passed=1)
    assert not list((tmp_path / "artefacts").glob("*/server-logs.txt"))
