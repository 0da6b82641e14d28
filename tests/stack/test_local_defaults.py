"""The stack owns its defaults; the harness's `local` environment must describe the same stack."""

from __future__ import annotations

from shopflow_qa.core.environment import load_environments
from shopflow_qa.core.local_stack import PORT_OFFSETS, port_base
from shopflow_stack import defaults
from shopflow_stack.services import HTTP_SERVICES


def test_the_local_environment_agrees_with_the_stacks_own_defaults():
    local = load_environments()["local"]
    assert local.managed_stack and local.stack_name == defaults.LOCAL_STACK_NAME
    assert port_base(local) == defaults.LOCAL_PORT_BASE
    assert dict(local.secret_variables) == defaults.SECRET_VARIABLES
    assert dict(local.default_secrets) == defaults.DEFAULT_SECRETS


def test_the_harness_and_the_stack_share_one_port_layout():
    assert {s.name: s.port_offset for s in HTTP_SERVICES} == PORT_OFFSETS
