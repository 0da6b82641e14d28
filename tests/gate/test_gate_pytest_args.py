"""`shopflow-qa gate … -- ARGS`: the arguments after `--` reach every pytest run of the gate,
smoke included, after the gate's own (so `--tracing on` replaces `retain-on-failure`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.gate import fake_suite

REPO_ROOT = Path(__file__).resolve().parents[2]

CONFTEST = fake_suite.conftest(timeout_s=10)

TESTS = """
import pytest


@pytest.mark.smoke
@pytest.mark.nondestructive
def test_health_refund_smoke(api):
    assert api.get("/health").status_code == 200


@pytest.mark.smoke
@pytest.mark.nondestructive
def test_health_other_smoke(api):
    assert api.get("/health").status_code == 200


@pytest.mark.contract
def test_refund_contract(api):
    assert api.get("/health").status_code == 200


@pytest.mark.contract
def test_other_contract(api):
    assert False, "deselected by -k refund, never run"
"""


def test_arguments_after_the_double_dash_select_in_smoke_and_in_the_areas(stack_factory, tmp_path: Path) -> None:
    stack = stack_factory("sqlite", name=f"gate-args-{os.getpid()}")
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_items.py").write_text(TESTS)  # -k matches module names too
    reports = tmp_path / "reports"
    environ = {k: v for k, v in os.environ.items() if k != "SHOPFLOW_RUN_DIR"}
    environ.update(SHOPFLOW_REPORTS_DIR=str(reports), GATE_TEST_API_URL=stack.api_url)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "shopflow_qa.cli", "gate", "--env", stack.name, "--env-file", str(stack.env_file)),
            *("--suites-path", str(suites), "--suites", "smoke,contract", "--no-load", "--quiet"),
            *("--", "-k", "refund", "--tracing", "on"),
        ],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run = (reports / "latest").resolve()
    gate = json.loads((run / "gate.json").read_text())
    stages = {s["name"]: s for s in gate["stages"]}
    assert stages["smoke"]["detail"].startswith("1 passed, 0 failed"), stages["smoke"]
    assert stages["areas"]["detail"].startswith("1 passed, 0 failed"), stages["areas"]
    for log in ("pytest-smoke.log", "pytest-areas.log"):
        command = (run / "logs" / log).read_text().splitlines()[0]
        assert command.endswith("-k refund --tracing on"), command
