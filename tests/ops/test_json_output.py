"""Machine-readable answers: `envs --json`, `doctor --json`, `stack status --json` (shapes in
docs/cli-json.md) and `--version`. A secret's variable is named, its value never printed."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from shopflow_qa.core.environment import load_environments
from tests.ops.conftest import run_cli, write_env_file

SECRET = "value-that-must-not-print-4417"


def test_envs_json_lists_every_environment_with_its_secrets_variables_but_no_value(tmp_path: Path) -> None:
    env_file = write_env_file(
        tmp_path / "env.toml",
        "qa7",
        web_url="http://127.0.0.1:9",
        api_url="http://127.0.0.1:9",
        secrets={"token": "QA7_TOKEN", "admin_token": "QA7_ADMIN_TOKEN"},
    )
    result = run_cli("envs", "--json", "--env-file", str(env_file), env={"QA7_TOKEN": SECRET})
    assert result.code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == 1
    assert [e["name"] for e in document["environments"]] == list(load_environments([env_file]))
    qa7 = next(e for e in document["environments"] if e["name"] == "qa7")
    assert qa7["secrets"] == {
        "admin_token": {"variable": "QA7_ADMIN_TOKEN", "available": False},
        "token": {"variable": "QA7_TOKEN", "available": True},
    }
    assert qa7["urls"] == {"web": "http://127.0.0.1:9", "api": "http://127.0.0.1:9"}
    production = next(e for e in document["environments"] if e["name"] == "production")
    assert production["read_only"] is True and production["policy"] == "read-only"
    assert SECRET not in result.stdout
    defaults = load_environments()["local"].default_secrets.values()
    assert not any(value in result.stdout for value in defaults), "a documented default is still a secret"


def test_doctor_json_gathers_the_checks_into_one_object(tmp_path: Path) -> None:
    result = run_cli("doctor", "--json", "--env", "staging", "--check", "secrets", env={"STAGING_TOKEN": SECRET})
    document = json.loads(result.stdout)
    assert result.code == 1, "staging's other secrets are not set here"
    assert document["schema"] == 1 and document["environment"] == "staging" and document["passed"] is False
    assert document["failures"] == sum(c["status"] == "fail" for c in document["checks"]) > 0
    assert {c["status"] for c in document["checks"]} <= {"ok", "fail", "skip"}
    assert all(set(c) == {"name", "status", "detail", "fix"} for c in document["checks"])
    assert SECRET not in result.stdout + result.stderr


def test_doctor_json_on_an_unknown_environment_is_a_usage_error() -> None:
    result = run_cli("doctor", "--json", "--env", "nowhere")
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.strip() == "shopflow-qa: error: unknown environment 'nowhere' (known: local, production, staging)"


def test_stack_status_json_has_a_stable_shape(tmp_path: Path) -> None:
    result = run_cli("stack", "status", "--json", env={"SHOPFLOW_STACKS_DIR": str(tmp_path / "stacks")})
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout) == {"schema": 1, "stacks": []}


def test_version() -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"shopflow-qa {metadata.version('shopflow-qa')}"
