"""The gate checks everything it is asked before it starts: each mistake is one line, all of
them at once, exit 2 — and nothing is sent (the environment points at a counting server)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopflow_qa.cli import gate_commands
from shopflow_qa.cli.gate_model import GateOptions
from shopflow_qa.cli.main import app
from tests.fixtures.countingserver import CountingServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"token": "QA9_TOKEN", "admin_token": "QA9_ADMIN_TOKEN", "admin_user": "QA9_ADMIN_USER"}
PREFIX = "shopflow-qa: error: "


@pytest.fixture
def target(tmp_path: Path) -> Iterator[tuple[CountingServer, Path]]:
    """An environment `qa9` whose every URL is a counting server; its secrets from QA9_* variables."""
    server = CountingServer().start()
    env_file = tmp_path / "qa9.toml"
    env_file.write_text(
        "[environments.qa9]\n"
        f'web_url = "{server.url}"\napi_url = "{server.url}"\nadmin_url = "{server.url}"\n'
        "[environments.qa9.secrets]\n" + "".join(f'{role} = "{variable}"\n' for role, variable in SECRETS.items())
    )
    yield server, env_file
    server.stop()


def _gate(args: list[str], env_file: Path, tmp_path: Path, secrets: bool = True) -> tuple[int, list[str]]:
    environ = {variable: (f"value-of-{variable}" if secrets else "") for variable in SECRETS.values()}
    environ["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    result = CliRunner().invoke(app, ["gate", "--env", "qa9", "--env-file", str(env_file), *args], env=environ)
    return result.exit_code, result.output.splitlines()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--load", "nosuch"], "--load: unknown load profile 'nosuch' (known: browse, checkout_flow, api_mix)"),
        (["--load-shape", "wobble"], "--load-shape: unknown shape 'wobble' (known: ramp, step, spike, soak, constant_rate)"),
        (["--load-duration", "500ms"], "--load-duration: must be between 1s and 6h, got '500ms'"),
        (["--load-duration", "soon"], "--load-duration: expected e.g. 30s or 2m, got 'soon'"),
        (["--no-load", "--wait-for-deploy", "forever"], "--wait-for-deploy: expected e.g. 30s or 2m, got 'forever'"),
        (
            ["--no-load", "--suites", "smoke,bogus"],
            "--suites: unknown area 'bogus' (known: smoke, contract, payments, checkout, admin)",
        ),
        (["--no-load", "--workers", "0"], "--workers: must be between 1 and 8, got 0"),
        (["--no-load", "--workers", "lots"], "--workers: expected a whole number between 1 and 8, got 'lots'"),
        (["--no-load", "--reruns", "9"], "--reruns: must be between 0 and 5, got 9"),
        (
            ["--no-load", "--expect-version", "v1.2"],
            "--expect-version needs at least 7 characters of a hex SHA (0-9, a-f; at most 64), got 'v1.2'",
        ),
        (["--no-load", "--heartbeat", "0.1s"], "--heartbeat: must be between 1s and 6h, got '0.1s'"),
    ],
)
def test_each_kind_of_mistake_is_one_line_exit_2_and_nothing_is_sent(
    args: list[str], line: str, target: tuple[CountingServer, Path], tmp_path: Path
) -> None:
    server, env_file = target
    code, output = _gate(args, env_file, tmp_path)
    assert code == 2
    assert output == [PREFIX + line]
    assert server.connections == 0, "a request was sent before the options were checked"
    assert not (tmp_path / "reports").exists(), "no run folder for a gate that never started"


def test_every_missing_secret_is_named_at_once(target: tuple[CountingServer, Path], tmp_path: Path) -> None:
    server, env_file = target
    code, output = _gate(["--no-load"], env_file, tmp_path, secrets=False)
    assert code == 2
    assert output == [f"{PREFIX}environment 'qa9' needs the {role} secret: set ${SECRETS[role]}" for role in sorted(SECRETS)]
    assert server.connections == 0


def test_all_problems_come_at_once_one_line_each_from_the_real_command(
    target: tuple[CountingServer, Path], tmp_path: Path
) -> None:
    """Many mistakes in one command: every one is reported, in one run of the real process."""
    server, env_file = target
    environ = {k: v for k, v in os.environ.items() if k not in SECRETS.values()}
    environ["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "gate",
            "--env",
            "qa9",
            "--env-file",
            str(env_file),
            "--load",
            "nosuch",
            "--load-shape",
            "wobble",
            "--load-duration",
            "500ms",
            "--suites",
            "smoke,bogus",
            "--workers",
            "0",
            "--expect-version",
            "XYZ",
        ],
        cwd=REPO_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert all(line.startswith(PREFIX) for line in lines), result.stderr
    options = [line.removeprefix(PREFIX).split()[0].rstrip(":") for line in lines]
    assert options[:6] == ["--suites", "--expect-version", "--workers", "--load", "--load-shape", "--load-duration"]
    assert sum("needs the" in line for line in lines) == len(SECRETS)
    assert len(lines) == 6 + len(SECRETS)
    assert "Traceback" not in result.stderr
    assert server.connections == 0
    assert not (tmp_path / "reports").exists()


def test_a_closed_port_is_not_contacted_before_the_problems_are_reported(tmp_path: Path) -> None:
    """An environment on a closed port: the answer is about the options, not "unreachable"."""
    env_file = tmp_path / "closed.toml"
    env_file.write_text('[environments.closed]\napi_url = "http://127.0.0.1:9"\nweb_url = "http://127.0.0.1:9"\n')
    result = CliRunner().invoke(
        app,
        ["gate", "--env", "closed", "--env-file", str(env_file), "--load", "nosuch"],
        env={"SHOPFLOW_REPORTS_DIR": str(tmp_path / "reports")},
    )
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"{PREFIX}--load: unknown load profile 'nosuch' (known: browse, checkout_flow, api_mix)"
    ]


def test_arguments_after_the_double_dash_go_to_pytest(
    target: tuple[CountingServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, env_file = target
    seen: list[GateOptions] = []
    monkeypatch.setattr(gate_commands, "run_gate", lambda options: seen.append(options) or 0)
    code, _ = _gate(
        ["--no-load", "--heartbeat", "3s", "--", "-k", "refund", "--browser", "chromium", "--tracing", "on"], env_file, tmp_path
    )
    assert code == 0
    assert list(seen[0].pytest_args) == ["-k", "refund", "--browser", "chromium", "--tracing", "on"]
    assert seen[0].heartbeat_s == 3.0
    assert server.connections == 0


def test_heartbeat_0_turns_the_lines_off(
    target: tuple[CountingServer, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, env_file = target
    seen: list[GateOptions] = []
    monkeypatch.setattr(gate_commands, "run_gate", lambda options: seen.append(options) or 0)
    assert _gate(["--no-load", "--heartbeat", "0"], env_file, tmp_path)[0] == 0
    assert seen[0].heartbeat_s == 0.0


def test_a_pytest_option_without_the_double_dash_is_a_usage_error(target: tuple[CountingServer, Path], tmp_path: Path) -> None:
    _, env_file = target
    code, output = _gate(["--no-load", "-k", "refund"], env_file, tmp_path)
    assert code == 2
    assert any("-k" in line for line in output)
