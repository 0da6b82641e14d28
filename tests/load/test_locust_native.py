"""`locust -f loadtests/<profile>.py --shopflow-env …` for real: Locust's own command line, in a
subprocess, against real local stacks (a few seconds each).

Proves the locustfiles plan, bound and judge a run by themselves: the environment's token and
run tag (orders carry the tag), the SLO verdict as Locust's exit code and summary.json, a
breached threshold named, the production guard before any request (a counting server sees no
connection), the token in no output (stdout, HTML, CSV), and `shopflow-qa load --web`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from shopflow_qa.cli.secret_scan import secret_leaks
from shopflow_qa.core.environment import resolve_environment
from shopflow_qa.core.load_summary import LoadSummary
from tests.fixtures.countingserver import CountingServer
from tests.ops.conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
CI_SLOS = Path(__file__).with_name("slos-ci.toml")
BRIEFLY = ("--headless", "-u", "1", "-t", "2s", "--only-summary")  # one user for two seconds, the summary only


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    return env


def locust(tmp_path: Path, profile: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """`locust -f loadtests/PROFILE.py ARGS` as a performance engineer types it (reports under tmp_path)."""
    env = _env()
    env["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    return subprocess.run(
        [sys.executable, "-m", "locust", "-f", f"loadtests/{profile}.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def on(stack) -> tuple[str, ...]:
    return ("--shopflow-env", stack.name, "--shopflow-env-file", str(stack.env_file))


def _tagged_orders(stack, run_id: str) -> int:
    counts = httpx.get(
        f"{stack.api_url}/api/admin/test-runs/{run_id}", headers={"Authorization": "Bearer local-admin-token"}, timeout=10
    ).json()
    return int(counts["orders"])


def test_locust_f_runs_the_real_flow_passes_its_slos_and_writes_summary_json(tmp_path: Path, sqlite_stack) -> None:
    run = tmp_path / "run"
    run_id = f"native-{uuid.uuid4().hex[:8]}"
    result = locust(
        tmp_path,
        "checkout_flow",
        *on(sqlite_stack),
        "--shopflow-run-id",
        run_id,
        "--shopflow-summary",
        str(run / "summary.json"),
        "--headless",
        "-u",
        "3",
        "-r",
        "3",
        "-t",
        "5s",
        "--csv",
        str(run / "locust"),
        "--html",
        str(run / "locust.html"),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    summary = LoadSummary.read(run / "summary.json")  # the core's typed summary, as the gate reads it
    assert summary.verdict == "passed" and summary.exit_code == 0 and summary.run_id == run_id
    assert summary.environment == sqlite_stack.name and summary.slos == "local" and not summary.warnings
    assert summary.total.failures == 0 and summary.successful_checkouts > 0, "the token was right: orders were paid"
    assert _tagged_orders(sqlite_stack, run_id) == summary.successful_checkouts, "every order carries the run's tag"
    assert summary.thresholds and all(t.passed for t in summary.thresholds)
    assert f"load checkout_flow: all SLOs met ({summary.total.count} requests); summary {run / 'summary.json'}" in output
    assert (run / "locust.html").stat().st_size > 0 and (run / "locust_stats.csv").stat().st_size > 0
    (run / "terminal.txt").write_text(output)
    secrets = resolve_environment(sqlite_stack.name, [str(sqlite_stack.env_file)]).secret_values()
    assert "local-service-token" in secrets
    assert secret_leaks(run, secrets) == [], "the token is in no stdout, HTML, CSV or summary"


def test_without_a_summary_path_the_run_folder_is_created_and_printed(tmp_path: Path, sqlite_stack) -> None:
    result = locust(tmp_path, "browse", *on(sqlite_stack), *BRIEFLY)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    folder = (tmp_path / "reports" / "latest").resolve()
    assert folder.name.endswith(f"-{sqlite_stack.name}-load-browse")
    assert f"summary {folder / 'summary.json'}" in result.stdout
    assert LoadSummary.read(folder / "summary.json").verdict == "passed"


def test_a_slow_checkout_stack_exits_1_naming_the_breached_threshold(tmp_path: Path, stack_factory, request) -> None:
    slow = stack_factory("sqlite", faults=("slow_checkout",), until=request)
    summary_path = tmp_path / "summary.json"
    result = locust(
        tmp_path,
        "checkout_flow",
        *on(slow),
        "--shopflow-summary",
        str(summary_path),
        "--headless",
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "6s",
        "--only-summary",
    )
    assert result.returncode == 1, (result.stdout + result.stderr)[-3000:]
    summary = LoadSummary.read(summary_path)
    assert summary.verdict == "failed" and "p95_ms[POST /api/orders]" in summary.breached
    assert "load checkout_flow: SLO breached: " in result.stdout and "p95_ms[POST /api/orders]" in result.stdout


@pytest.fixture
def counting_server():
    server = CountingServer().start()
    yield server
    server.stop()


def test_production_is_refused_before_any_request(tmp_path: Path, counting_server: CountingServer) -> None:
    """Named production, or any name on a production network: one line, exit 2, no connection."""
    result = locust(tmp_path, "checkout_flow", "--shopflow-env", "production", "--headless", "-u", "1", "-t", "2s")
    assert result.returncode == 2 and "refused on production: load writes data" in result.stderr, result.stderr[-2000:]
    env_file = tmp_path / "prod-copy.toml"
    env_file.write_text(
        f'[safety]\nproduction_networks = ["127.0.0.1/32"]\n\n[environments.prod-copy]\n'
        f'web_url = "{counting_server.url}"\napi_url = "{counting_server.url}"\n'
        'allow_default_secrets = true\n[environments.prod-copy.default_secrets]\ntoken = "t"\n'
    )
    for args in (
        ("--shopflow-env", "prod-copy", "--shopflow-env-file", str(env_file)),
        ("-H", counting_server.url, "--shopflow-env-file", str(env_file)),  # a bare -H is guarded too
    ):
        result = locust(tmp_path, "checkout_flow", *args, "--headless", "-u", "1", "-t", "2s")
        assert result.returncode == 2, result.stderr[-2000:]
        assert "refused on" in result.stderr and "Traceback" not in result.stderr
    assert counting_server.connections == 0, "the guard answered before any request, /health included"
    assert not (tmp_path / "reports").exists()


def _page(port: int, wait_s: float = 30) -> httpx.Response:
    """The web UI's page once it answers (Locust announces it before its init listeners ran)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def test_shopflow_qa_load_web_opens_the_ui_on_loopback_with_the_environment_resolved(tmp_path: Path, sqlite_stack) -> None:
    port = free_port()
    env = _env()
    env["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            "browse",
            "--env",
            sqlite_stack.name,
            "--env-file",
            str(sqlite_stack.env_file),
            "--slos",
            str(CI_SLOS),
            "--users",
            "2",
            "--duration",
            "3s",
            "--web",
            "--web-port",
            str(port),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        page = _page(port)
        assert page.status_code == 200
        assert "shopflow_token" in page.text and "local-service-token" not in page.text, "a masked field, no value"
        with pytest.raises(httpx.TransportError):  # loopback only
            address = socket.gethostbyname(socket.gethostname())
            if address.startswith("127."):
                raise httpx.ConnectError("no other address on this machine")
            httpx.get(f"http://{address}:{port}/", timeout=3)
        started = httpx.post(
            f"http://127.0.0.1:{port}/swarm",
            data={"user_count": "2", "spawn_rate": "2", "host": sqlite_stack.api_url, "run_time": "3s"},
            timeout=10,
        ).json()
        assert started["success"], started
        time.sleep(6)
        child.send_signal(signal.SIGINT)  # Ctrl-C: how a web UI session ends
        output, _ = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 0, output[-3000:]
    summary = json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())
    assert summary["verdict"] == "passed" and summary["environment"] == sqlite_stack.name and summary["total"]["count"] > 0
    assert f"web UI: http://127.0.0.1:{port}" in output and "Traceback" not in output


def test_a_managed_environment_not_running_is_started_on_demand_and_stopped_after(tmp_path: Path) -> None:
    """As `local` is: `--shopflow-env` on a managed stack that is down starts it, runs, and stops
    what it started (an environment of its own here, on this test's ports, not local's 8600)."""
    base = int(os.environ.get("SHOPFLOW_PORT_RANGE", "8610-8990").split("-")[1]) - 12  # the top of this run's ports
    name = f"ondemand-{uuid.uuid4().hex[:6]}"
    env_file = tmp_path / "ondemand.toml"
    roles = ("web", "admin", "api", "payments")
    env_file.write_text(
        f"[environments.{name}]\n"
        + "".join(f'{role}_url = "http://127.0.0.1:{base + i}"\n' for i, role in enumerate(roles))
        + f'managed_stack = true\nstack_name = "{name}"\nallow_default_secrets = true\n'
        + f'[environments.{name}.default_secrets]\ntoken = "local-service-token"\n'
    )
    result = locust(
        tmp_path,
        "browse",
        "--shopflow-env",
        name,
        "--shopflow-env-file",
        str(env_file),
        "--shopflow-slos",
        str(CI_SLOS),
        *BRIEFLY,
        timeout=120,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    summary = LoadSummary.read((tmp_path / "reports" / "latest" / "summary.json").resolve())
    assert summary.total.count > 0 and summary.total.failures == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{base + 2}/health", timeout=3)  # stopped: this run started it


def test_a_plain_locust_web_ui_binds_loopback_by_default(tmp_path: Path, sqlite_stack) -> None:
    port = free_port()
    env = _env()
    env["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    child = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", "loadtests/browse.py", *on(sqlite_stack), "--web-port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, lines = time.monotonic() + 30, []
        while time.monotonic() < deadline and child.stdout is not None:
            lines.append(child.stdout.readline())
            if "Starting web interface" in lines[-1]:
                break
        assert f"Starting web interface at http://127.0.0.1:{port}" in lines[-1], lines
        assert _page(port).status_code == 200
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()


@pytest.mark.parametrize(("client", "agent"), [("lean", "shopflow-qa-load"), ("locust", "python/gevent-http-client")])
def test_the_users_http_client_is_the_lean_one_unless_the_run_asks_for_locusts(
    tmp_path: Path, counting_server: CountingServer, client: str, agent: str
) -> None:
    """What arrives at the server says which client sent it: the lean one by default, Locust's own with
    `--shopflow-http-client locust` (the way out if the lean client meets a server it cannot talk to)."""
    env_file = tmp_path / "counted.toml"
    env_file.write_text(
        f'[environments.counted]\nweb_url = "{counting_server.url}"\napi_url = "{counting_server.url}"\n'
        'allow_default_secrets = true\n[environments.counted.default_secrets]\ntoken = "t"\n'
    )
    counting_server.routes[("GET", "/api/products")] = (200, {"items": [], "total": 0})
    counting_server.routes[("GET", "/api/categories")] = (200, {"items": []})
    args = ("--shopflow-http-client", client) if client != "lean" else ()
    result = locust(
        tmp_path,
        "browse",
        "--shopflow-env",
        "counted",
        "--shopflow-env-file",
        str(env_file),
        *args,
        *BRIEFLY,
    )
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    sent = [seen for seen in counting_server.seen if seen.path.startswith("/api/")]
    assert sent, (result.stdout + result.stderr)[-2000:]
    agents = {seen.headers.get("User-Agent", seen.headers.get("user-agent", "")) for seen in sent}
    assert all(a.startswith(agent) for a in agents), agents
    assert all(seen.headers.get("Authorization", seen.headers.get("authorization")) == "Bearer t" for seen in sent)
