"""`shopflow-qa stack …` as a person runs it: up, status, logs, reset, down, side-by-side stacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from shopflow_stack import runner
from shopflow_stack.paths import PROJECT_ROOT

CLI = [sys.executable, "-m", "shopflow_qa.cli"]


def shopflow_qa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)


def _processes_of(state: runner.StackState) -> list[int]:
    return [
        pid
        for pid in state.pids.values()
        if Path(f"/proc/{pid}").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    ]


@pytest.fixture
def name() -> str:
    stack_name = f"cli-{uuid.uuid4().hex[:6]}"
    yield stack_name
    runner.down(stack_name)


def test_up_health_status_logs_down(name: str) -> None:
    started = shopflow_qa("stack", "up", "--name", name)
    assert started.returncode == 0, started.stderr
    state = runner.read_state(name)
    assert state and f"api       {state.urls['api']}" in started.stdout
    health = httpx.get(f"{state.urls['api']}/health").json()
    assert health["status"] == "ok" and health["version"]
    assert (state.directory / "env.toml").read_text().count(state.urls["api"]) == 1

    again = shopflow_qa("stack", "up", "--name", name)
    assert again.returncode == 0 and "already running" in again.stdout
    assert runner.read_state(name).pids == state.pids  # not started twice

    assert f"{name}" in shopflow_qa("stack", "status").stdout
    httpx.get(f"{state.urls['api']}/api/products", headers={"X-Request-Id": "cli-log-probe"})
    logs = shopflow_qa("stack", "logs", "api", "--name", name)
    assert logs.returncode == 0 and "request_id=cli-log-probe" in logs.stdout

    stopped = shopflow_qa("stack", "down", "--name", name)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _processes_of(state) == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{state.urls['api']}/health", timeout=2)


def test_a_second_named_stack_runs_beside_the_first(stack_factory, request: pytest.FixtureRequest) -> None:
    first, second = stack_factory("sqlite", until=request), stack_factory("sqlite", until=request)
    assert first.state.port_base != second.state.port_base
    for stack in (first, second):
        assert httpx.get(f"{stack.api_url}/health").json()["status"] == "ok"


def test_a_busy_port_is_one_line_and_exit_2(name: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        result = shopflow_qa("stack", "up", "--name", name, "--port-base", str(busy))
    assert result.returncode == 2
    assert f"port {busy}" in result.stderr and "busy" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_an_unknown_fault_is_one_line_and_exit_2(name: str) -> None:
    result = shopflow_qa("stack", "up", "--name", name, "--fault", "no_such_fault")
    assert result.returncode == 2 and "unknown fault 'no_such_fault'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["-1", "10001"])
def test_a_service_time_out_of_range_is_one_line_and_exit_2(name: str, value: str) -> None:
    result = shopflow_qa("stack", "up", "--name", name, "--service-ms", value)
    assert (
        result.returncode == 2
        and f"--service-ms: must be a whole number of milliseconds from 0 to 10000, got {value}" in result.stderr
    )
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_reset_restores_the_seeded_shop(name: str) -> None:
    """…and keeps the stack's settings: its API service time (not a fault: /health lists none)."""
    assert shopflow_qa("stack", "up", "--name", name, "--service-ms", "5").returncode == 0
    api = runner.read_state(name).urls["api"]
    service = {"Authorization": "Bearer local-service-token"}
    product = httpx.get(f"{api}/api/products/1", headers=service).json()
    cart = httpx.post(f"{api}/api/carts", headers=service).json()
    httpx.post(f"{api}/api/carts/{cart['id']}/lines", json={"product_id": 1, "quantity": 2}, headers=service)
    order = httpx.post(
        f"{api}/api/orders",
        headers=service,
        json={
            "cart_id": cart["id"],
            "email": "r@example.test",
            "shipping_address": {"name": "R", "line1": "1 St", "city": "C", "postal_code": "1", "country": "US"},
        },
    )
    assert order.status_code == 201

    result = shopflow_qa("stack", "reset", "--name", name)
    assert result.returncode == 0, result.stderr
    api = runner.read_state(name).urls["api"]
    assert runner.read_state(name).service_ms == 5 and httpx.get(f"{api}/health").json()["faults"] == []
    assert httpx.get(f"{api}/api/products/1", headers=service).json()["stock"] == product["stock"]
    gone = httpx.get(f"{api}/api/orders/{order.json()['id']}", headers=service)
    assert gone.status_code == 404


def test_a_stack_on_postgresql_and_redis_from_the_command_line(stack_factory, request: pytest.FixtureRequest) -> None:
    """The backend choice is the DATABASE_URL/REDIS_URL the stack gets (here via the test factory)."""
    stack = stack_factory("postgresql", until=request)
    health = httpx.get(f"{stack.api_url}/health").json()
    assert health["checks"] == {**health["checks"], "database": "ok", "redis": "ok"}
    assert runner.read_state(stack.name).database == "postgresql"


pytestmark = pytest.mark.skipif(os.name != "posix", reason="the runner uses process groups")
