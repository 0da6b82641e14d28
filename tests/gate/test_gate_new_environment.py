"""A new environment defined only in an env file (no edit of `data/`) runs the whole gate green.

`qa2` names a running local stack's URLs and the variables holding its secrets, and brings no
SLOs: the contract budget and the load thresholds come from the default profile, and the gate's
report says so. The real `suites/` run, every area, then the load step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
QA2_SECRETS = {
    "token": ("QA2_TOKEN", "local-service-token"),
    "admin_token": ("QA2_ADMIN_TOKEN", "local-admin-token"),
    "admin_user": ("QA2_ADMIN_USER", "admin@shopflow.local"),
    "admin_password": ("QA2_ADMIN_PASSWORD", "local-admin-password"),
    "webhook_secret": ("QA2_WEBHOOK_SECRET", "whsec_local_sandbox_secret"),
    "payments_key": ("QA2_PAYMENTS_KEY", "sk_test_local_sandbox"),
}


def qa2_env_file(folder: Path, urls: dict[str, str], extra: str = "") -> Path:
    """What a team writes for a second QA environment: URLs, secret variables, capabilities."""
    lines = [
        "[environments.qa2]",
        'description = "second QA environment (the local stack\'s URLs, defined only here)"',
        *(f'{role}_url = "{url}"' for role, url in urls.items()),
        "mailbox = true",
        extra,
        "[environments.qa2.secrets]",
        *(f'{role} = "{variable}"' for role, (variable, _) in QA2_SECRETS.items()),
    ]
    path = folder / "qa2.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def stack(stack_factory):
    return stack_factory("sqlite", name=f"qa2-{os.getpid()}")


def test_a_new_environment_from_an_env_file_runs_the_whole_gate_green(stack, tmp_path: Path) -> None:
    env_file = qa2_env_file(tmp_path, stack.urls)
    reports = tmp_path / "reports"
    environ = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    environ.update({variable: value for variable, value in QA2_SECRETS.values()}, SHOPFLOW_REPORTS_DIR=str(reports))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "gate",
            "--env",
            "qa2",
            "--env-file",
            str(env_file),
            "--load",
            "checkout_flow",
            "--load-duration",
            "10s",
            "--quiet",
        ],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    run = (reports / "latest").resolve()
    gate = json.loads((run / "gate.json").read_text())
    assert {s["name"]: s["status"] for s in gate["stages"]}.get("load") == "passed", gate["stages"]
    assert all(s["status"] in ("passed", "skipped") for s in gate["stages"]), gate["stages"]
    assert not [s for s in gate["stages"] if s["status"] == "skipped" and s["name"] not in ("wait",)], gate["stages"]
    summary = json.loads((run / "load" / "summary.json").read_text())
    assert summary["environment"] == "qa2" and summary["slos"] == "default" and summary["thresholds"]
    assert all(t["passed"] for t in summary["thresholds"])
    assert "environment 'qa2' brings no SLOs: judged by the default profile" in (run / "summary.md").read_text()
