"""`shopflow-qa envs`: every environment with its URLs and policy, from shopflow_qa.core.environment."""

from __future__ import annotations

from pathlib import Path

from shopflow_qa.core.environment import load_environments
from tests.ops.conftest import run_cli, write_env_file


def test_envs_lists_every_environment_with_urls_and_policy():
    result = run_cli("envs")
    assert result.code == 0, result.stderr
    environments = load_environments()
    headers = [line for line in result.lines if not line.startswith(" ")]
    assert [h.split(":")[0] for h in headers] == list(environments)
    assert any(h.startswith("production: read-only, AWS us-east-1") for h in headers)
    assert any(h.startswith("local: read-write, managed local stack") for h in headers)
    for environment in environments.values():
        for role, url in environment.urls.items():
            assert f"  {role:9} {url}" in result.lines
    assert "  internal  staging-internal.shopflow.io (VPN only)" in result.lines


def test_envs_marks_an_environment_on_a_production_host_read_only(tmp_path: Path):
    env_file = write_env_file(
        tmp_path / "env.toml", "sneaky", web_url="https://www.shopflow.io", api_url="https://api.shopflow.io", policy="read-write"
    )
    result = run_cli("envs", "--env-file", str(env_file))
    assert result.code == 0
    assert any(line.startswith("sneaky: read-only (production host)") for line in result.lines)


def test_envs_with_a_broken_file_is_one_line_exit_2(tmp_path: Path):
    broken = tmp_path / "env.toml"
    broken.write_text("[environments.x\n")
    result = run_cli("envs", "--env-file", str(broken))
    assert result.code == 2 and result.stderr.count("\n") == 1 and "invalid TOML" in result.stderr
