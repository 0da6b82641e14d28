"""seed/purge start the managed local stack when it is down, and stop it only if they started it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import httpx

from shopflow_qa.core import local_stack
from shopflow_qa.core.environment import load_environments
from shopflow_stack import runner
from tests.conftest import claim_port_base
from tests.ops.conftest import write_env_file


def _managed_environment(tmp_path: Path):
    name = f"t-ops-managed-{uuid.uuid4().hex[:6]}"
    base = claim_port_base(name)
    urls = {role: f"http://127.0.0.1:{base + offset}" for offset, role in enumerate(("web", "admin", "api", "payments"))}
    env_file = write_env_file(
        tmp_path / "env.toml",
        name,
        web_url=urls["web"],
        admin_url=urls["admin"],
        api_url=urls["api"],
        payments_url=urls["payments"],
        managed_stack=True,
        stack_name=name,
    )
    return load_environments([env_file])[name]


def test_a_stack_that_is_down_is_started_and_stopped_again(tmp_path: Path):
    environment = _managed_environment(tmp_path)
    try:
        with local_stack.managed(environment) as started:
            assert started
            assert httpx.get(f"{environment.url('api')}/health", timeout=5).status_code == 200
        state = runner.read_state(environment.stack_name)
        assert state is None or not runner.is_running(state)
    finally:
        runner.down(environment.stack_name)


def test_a_running_stack_is_used_and_left_running(ops_stack, tmp_path: Path):
    environment = load_environments([ops_stack.env_file])[ops_stack.name]
    environment = replace(environment, managed_stack=True)
    with local_stack.managed(environment) as started:
        assert not started
    assert runner.is_running(runner.read_state(ops_stack.name))


def test_an_environment_that_is_not_managed_is_left_alone(tmp_path: Path):
    environment = load_environments()["staging"]
    with local_stack.managed(environment) as started:
        assert not started
