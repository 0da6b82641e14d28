"""seed and purge refuse what they must before any request: read-only environments, bad input."""

from __future__ import annotations

from pathlib import Path

from tests.ops.conftest import run_cli, write_env_file


def test_seed_with_an_unknown_kind_is_a_usage_error(ops_stack):
    result = run_cli("seed", "--env", ops_stack.name, "--env-file", str(ops_stack.env_file), "--only", "planets")
    assert result.code == 2 and result.stderr.count("\n") == 1 and "--only must be one of" in result.stderr


def test_seed_and_purge_are_refused_on_production():
    for args in (("seed", "--env", "production"), ("purge", "--env", "production", "--run", "r1")):
        result = run_cli(*args)
        assert result.code == 2, result
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("shopflow-qa: error: refused on production")
        assert "Traceback" not in result.stderr


def test_seed_is_refused_on_any_environment_pointing_at_a_production_host(tmp_path: Path):
    env_file = write_env_file(tmp_path / "env.toml", "looks_harmless", web_url="https://shopflow.io",
                              api_url="https://api.shopflow.io", policy="read-write")
    result = run_cli("seed", "--env", "looks_harmless", "--env-file", str(env_file))
    assert result.code == 2 and "refused on looks_harmless (https://shopflow.io, https://api.shopflow.io)" in result.stderr


def test_purge_needs_a_run_id(ops_stack):
    result = run_cli("purge", "--env", ops_stack.name, "--env-file", str(ops_stack.env_file), env={"SHOPFLOW_RUN_ID": ""})
    assert result.code == 2 and "purge needs --run ID" in result.stderr
