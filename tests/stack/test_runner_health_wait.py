"""The runner's health wait counts only its own services' answers: another process on a port the
stack wanted (a stack a parallel run started there while this one was reset) never passes for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopflow_stack import heartbeat, runner
from shopflow_stack.services import HTTP_SERVICES, STACK_HEADER
from tests.fixtures.countingserver import CountingServer


@pytest.fixture
def stack_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Servers on a free block of the stack's ports, each answering /health as `instance` (or anonymously)."""
    monkeypatch.setattr(runner, "STACKS_DIR", tmp_path)
    servers: list[CountingServer] = []

    def serve(instance: str) -> runner.StackState:
        base = runner.default_port_base("foreign")
        headers = {STACK_HEADER: instance} if instance else {}
        for service in HTTP_SERVICES:
            servers.append(CountingServer(bind_port=base + (service.port_offset or 0), headers=headers).start())
        state = runner.StackState(name="waiting", port_base=base, pids={"api": os.getpid()}, instance="mine")
        heartbeat.path(state.directory).parent.mkdir(parents=True, exist_ok=True)
        heartbeat.path(state.directory).write_text("{}")  # the worker is up: only the HTTP answers decide
        return state

    yield serve
    for server in servers:
        server.stop()


@pytest.mark.parametrize("foreign", ["", "another-stack"])
def test_answers_from_another_process_do_not_make_the_stack_healthy(stack_ports, foreign: str) -> None:
    state = stack_ports(foreign)
    with pytest.raises(runner.StackError, match="not answering after 1 s"):
        runner._wait_healthy(state, timeout=1.0)


def test_its_own_services_answers_make_it_healthy(stack_ports) -> None:
    runner._wait_healthy(stack_ports("mine"), timeout=5.0)


def test_a_reset_keeps_its_ports_claimed_while_the_data_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "STACKS_DIR", tmp_path)
    stopped = runner.StackState(name="resetting", port_base=runner.default_port_base("resetting"), pids={"api": 2**22 + 17})
    runner.stack_dir(stopped.name).mkdir(parents=True)
    runner._state_file(stopped.name).write_text(runner.json.dumps(runner.asdict(stopped)))
    claimed_meanwhile: list[set[int]] = []

    def rebuild(*args: object, **kwargs: object) -> object:
        claimed_meanwhile.append({s.port_base for s in runner.all_states()})
        return runner.subprocess.CompletedProcess(args, 1, "", "migration failed")

    monkeypatch.setattr(runner.subprocess, "run", rebuild)
    with pytest.raises(runner.StackError, match="reset failed"):
        runner.reset(stopped.name)
    assert claimed_meanwhile == [{stopped.port_base}]  # a stack started meanwhile picks another block
    assert runner.default_port_base("another") != stopped.port_base
