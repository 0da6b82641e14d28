"""seed and purge refuse what they must before any request: read-only environments, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    env_file = write_env_file(
        tmp_path / "env.toml",
        "looks_harmless",
        web_url="https://shopflow.io",
        api_url="https://api.shopflow.io",
        policy="read-write",
    )
    result = run_cli("seed", "--env", "looks_harmless", "--env-file", str(env_file))
    assert result.code == 2 and result.stderr.count("\n") == 1, result
    assert result.stderr.startswith(
        "shopflow-qa: error: refused on looks_harmless: seed writes data and environment "
        "'looks_harmless' points at production (web URL https://shopflow.io reaches "
        "shopflow.io, a production domain; api URL https://api.shopflow.io reaches "
        "api.shopflow.io, under production domain shopflow.io)"
    )


def test_purge_needs_a_run_id(ops_stack):
    result = run_cli("purge", "--env", ops_stack.name, "--env-file", str(ops_stack.env_file), env={"SHOPFLOW_RUN_ID": ""})
    assert result.code == 2 and "purge needs --run ID" in result.stderr


def test_seed_on_an_unreachable_environment_is_one_line_exit_2(tmp_path: Path):
    from tests.ops.conftest import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    env_file = write_env_file(
        tmp_path / "env.toml", "gone", web_url=closed, api_url=closed, secrets={"admin_token": "SHOPFLOW_OPS_TEST_ADMIN"}
    )
    result = run_cli("seed", "--env", "gone", "--env-file", str(env_file), env={"SHOPFLOW_OPS_TEST_ADMIN": "x"})
    assert result.code == 2, result
    assert result.stderr.count("\n") == 1 and f"{closed} unreachable" in result.stderr


def test_purge_refuses_a_run_id_that_is_not_one(tmp_path: Path):
    env_file = write_env_file(tmp_path / "env.toml", "rw", web_url="http://127.0.0.1:9", api_url="http://127.0.0.1:9")
    result = run_cli("purge", "--env", "rw", "--env-file", str(env_file), "--run", "../admin/customers")
    assert result.code == 2 and "--run must be a test run id" in result.stderr


def test_seed_without_the_admin_token_names_its_variable(tmp_path: Path):
    env_file = write_env_file(
        tmp_path / "env.toml",
        "rw",
        web_url="http://127.0.0.1:9",
        api_url="http://127.0.0.1:9",
        secrets={"admin_token": "SHOPFLOW_OPS_TEST_ADMIN"},
    )
    result = run_cli("seed", "--env", "rw", "--env-file", str(env_file), env={"SHOPFLOW_OPS_TEST_ADMIN": ""})
    assert result.code == 2 and "set $SHOPFLOW_OPS_TEST_ADMIN" in result.stderr


@pytest.mark.parametrize(
    ("variables", "args"),
    [
        ({"BASE_URL": "http://api.shopflow.io."}, ("purge", "--env", "staging", "--run", "x")),
        ({"BASE_URL": "http://api．shopflow．io"}, ("seed", "--env", "staging")),
        ({"E2E_BASE_URL": "https://eu.api.shopflow.io"}, ("load", "browse", "--env", "staging")),
    ],
    ids=["trailing-dot-purge", "full-width-dots-seed", "subdomain-load"],
)
def test_a_disguised_production_url_is_refused_as_a_person_types_it(variables: dict[str, str], args: tuple[str, ...]):
    """The reported cases, through the installed command (tests/ops/test_production_guard.py
    counts connections for 500 generated disguises and every written-out one)."""
    result = run_cli(*args, env={"STAGING_TOKEN": "t", "STAGING_ADMIN_TOKEN": "a", **variables})
    assert result.code == 2 and result.stderr.count("\n") == 1, result
    assert result.stderr.startswith(
        f"shopflow-qa: error: refused on staging: {args[0]} writes data and environment 'staging' points at production ("
    )
