"""The gate end to end, as a subprocess against real local stacks (`shopflow-qa gate …`).

The real runs use a small suite folder written here (one test per area, one flaky, one
red), so they prove the orchestration — stages, xdist, reruns, Allure, history, verdict —
in seconds; `make gate` and benchmarks/gate_time.py run the real `suites/`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.secret_scan import secret_leaks
from shopflow_qa.core import allure_history, allure_report
from tests.gate import fake_suite

REPO_ROOT = Path(__file__).resolve().parents[2]

CONFTEST = fake_suite.conftest(timeout_s=5)

TESTS = """
import os
import time
from pathlib import Path

import pytest


@pytest.mark.smoke
@pytest.mark.nondestructive
def test_health_answers_ok(api):
    assert api.get("/health").status_code == 200
    assert not os.environ.get("GATE_TEST_SMOKE_RED"), "smoke red on purpose"


@pytest.mark.contract
def test_health_reports_a_version(api):
    time.sleep(float(os.environ.get("GATE_TEST_SLOW", "0")))
    assert api.get("/health").json()["version"]


@pytest.mark.payments
def test_flaky_once(api):
    marker = Path(os.environ["GATE_TEST_FLAKY_FILE"])
    first = not marker.exists()
    marker.touch()
    assert not first, "first attempt fails on purpose"


@pytest.mark.checkout
def test_order_total_is_right(api):
    assert os.environ.get("GATE_TEST_GREEN"), "total differs: expected 1080, got 1180"


@pytest.mark.admin
def test_admin_answers(api):
    assert api.get("/health").status_code == 200
"""


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suites")
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_areas.py").write_text(TESTS)
    return folder


def _env_file(folder: Path, name: str, urls: dict[str, str]) -> Path:
    """An environment for a stack (web falls back to the API while the stack has no storefront)."""
    api = urls["api"]
    lines = [
        f"[environments.{name}]",
        f'api_url = "{api}"',
        f'web_url = "{urls.get("web", api)}"',
        *(f'{role}_url = "{urls[role]}"' for role in ("admin", "payments") if role in urls),
    ]
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _environ(tmp_path: Path, reports: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, SHOPFLOW_REPORTS_DIR=str(reports), GATE_TEST_FLAKY_FILE=str(tmp_path / "flaky"), **extra)
    env.pop("SHOPFLOW_RUN_DIR", None)
    return env


def _gate(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "gate", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _latest(reports: Path) -> Path:
    return (reports / "latest").resolve()


@pytest.fixture(scope="module")
def stack(stack_factory):
    return stack_factory("sqlite", name=f"gate-{os.getpid()}")


def test_gate_runs_every_stage_and_reports_a_red_area_with_reruns_folded(stack, suites: Path, tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    reports = tmp_path / "reports"
    env = _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url)
    common = ["--env", "gatetest", "--env-file", str(env_file), "--suites-path", str(suites), "--no-load", "--quiet"]

    result = _gate([*common, "--reruns", "1"], env)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    verdict = "\n".join(line for line in result.stdout.splitlines() if not line.startswith("· "))  # minus heartbeats
    assert verdict.startswith("gate FAILED (exit 1)") and "red in checkout (1 failed)" in verdict
    run = _latest(reports)
    gate = json.loads((run / "gate.json").read_text())
    assert [(s["name"], s["status"]) for s in gate["stages"]] == [
        ("preflight", "passed"),
        ("wait", "skipped"),
        ("smoke", "passed"),
        ("areas", "failed"),
        ("load", "skipped"),
        ("reports", "passed"),
    ]
    areas = {a["name"]: a for a in gate["areas"]}
    assert areas["checkout"]["failed"] == 1 and areas["checkout"]["status"] == "failed"
    assert areas["payments"]["passed"] == 1 and areas["payments"]["rerun"] == 1, "flaky test passed on its re-run"
    [failure] = gate["failures"]
    assert failure["test"].endswith("test_areas.py::test_order_total_is_right")
    assert (failure["area"], failure["outcome"], failure["reason"]) == (
        "checkout",
        "failed",
        "AssertionError: total differs: expected 1080, got 1180",
    )
    assert gate["version"]["deployed"] == httpx.get(f"{stack.api_url}/health").json()["version"]
    assert gate["warnings"] == [], "no secret in any form in the run folder (the gate's own scan)"
    summary = (run / "summary.md").read_text()
    assert "**FAILED**" in summary and f"- **checkout** `{failure['test']}` — AssertionError: total differs" in summary

    # One Allure result per test, the attempts of re-run tests inside it; no analytics; our categories.
    html = (run / "allure-report" / "index.html").read_text()
    assert "googletagmanager" not in html and "gtag(" not in html
    stats = allure_report.report_stats(run)
    assert (stats["total"], stats["retries"], stats["failed"]) == (5, 2, 1)
    embedded = allure_report.embedded_data(html)
    categories = embedded["widgets/categories.json"]
    assert [categories["nodes"][root]["name"] for root in categories["roots"]] == ["Product defect"]
    environment = {item["name"]: item["values"][0] for item in embedded["widgets/allure_environment.json"]}
    assert environment["env"] == "gatetest" and environment["url.api"] == stack.api_url and environment["version"]
    secrets = ("local-service-token", "local-admin-token", "local-admin-password", "sk_test_local_sandbox")
    for path in run.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert not any(secret in text for secret in secrets), f"a secret in {path}"

    # A second run of the same environment carries the first run's history: trends without copying folders.
    green = _gate([*common, "--suites", "smoke,contract"], env)
    assert green.returncode == 0, green.stdout + green.stderr
    second = _latest(reports)
    assert second != run
    assert len((second / allure_history.HISTORY_FILE).read_text().splitlines()) == 2

    # `--open` serves the report on 127.0.0.1 only, until Ctrl-C.
    server = subprocess.Popen(
        [sys.executable, "-m", "shopflow_qa.cli", "report", str(second), "--open"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = ""
        while not line.startswith("serving"):
            line = server.stdout.readline()
            assert line, server.stderr.read()
        url = line.split()[1]
        assert url.startswith("http://127.0.0.1:")
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "allureReportData" in page.text and "googletagmanager" not in page.text
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0
    assert len((run / allure_history.HISTORY_FILE).read_text().splitlines()) == 1

    # `shopflow-qa report RUN` rebuilds the HTML; history is not appended twice.
    rebuilt = subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "report", second.name],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert len((second / allure_history.HISTORY_FILE).read_text().splitlines()) == 2


def test_red_smoke_stops_the_gate_before_the_other_areas(stack, suites: Path, tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    reports = tmp_path / "reports"
    env = _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url, GATE_TEST_SMOKE_RED="1")
    # --no-load: an environment of this file has no load SLOs, which the gate would report before it starts
    result = _gate(["--env", "gatetest", "--env-file", str(env_file), "--suites-path", str(suites), "--quiet", "--no-load"], env)
    assert result.returncode == 1, result.stdout + result.stderr
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert [s["name"] for s in gate["stages"]] == ["preflight", "wait", "smoke", "reports"]
    assert gate["stages"][2]["status"] == "failed" and gate["failures"][0]["area"] == "smoke"


def test_expecting_another_version_stops_at_the_wait_with_one_line(stack, suites: Path, tmp_path: Path) -> None:
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            "gatetest",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(suites),
            "--expect-version",
            "deadbeefcafe",
            "--quiet",
            "--no-load",
        ],
        _environ(tmp_path, reports),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("shopflow-qa: error: deploy not live")
    assert "expected version deadbeefcafe" in result.stderr and "Traceback" not in result.stderr
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert [(s["name"], s["status"]) for s in gate["stages"]][:2] == [("preflight", "passed"), ("wait", "error")]
    assert not (_latest(reports) / "junit-smoke.xml").exists(), "no test ran against the wrong build"


def test_stale_version_fault_with_expect_version_exits_2_at_the_wait(
    stack_factory, suites: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    stale = stack_factory("sqlite", faults=("stale_version",), version="feedfacecafe1234", until=request)
    reported = httpx.get(f"{stale.api_url}/health").json()["version"]
    if reported == "feedfacecafe1234":
        pytest.skip("this stack's /health does not implement the stale_version fault yet")
    env_file = _env_file(tmp_path, "stale", stale.urls)
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            "stale",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(suites),
            "--expect-version",
            "feedfacecafe1234",
            "--quiet",
            "--no-load",
        ],
        _environ(tmp_path, reports),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and f"reports {reported}" in result.stderr
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert gate["faults"] == ["stale_version"], "the stack's active fault switches are recorded"
    assert "the stack reports active fault switches: stale_version" in gate["warnings"]
    assert "⚠️ Active fault switches reported by /health: `stale_version`" in (_latest(reports) / "summary.md").read_text()


def test_custom_environment_on_a_closed_port_exits_2_within_10_s(suites: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago and nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env_file = _env_file(tmp_path, "closed", {"api": f"http://127.0.0.1:{port}"})
    start = time.monotonic()
    result = _gate(
        ["--env", "closed", "--env-file", str(env_file), "--suites-path", str(suites), "--no-load"],
        _environ(tmp_path, tmp_path / "reports"),
    )
    assert time.monotonic() - start < 10
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "environment 'closed' unreachable" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


HANGING_TESTS = """
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest


def _tagged(shopflow_run_id):
    return {"X-ShopFlow-Test-Run": shopflow_run_id, "Authorization": "Bearer local-service-token"}


@pytest.mark.checkout
def test_opens_the_shop_makes_a_cart_and_hangs(api, shopflow_run_id, page):
    page.goto("/")  # a browser is running too when the signal comes
    assert api.post("/api/carts", headers=_tagged(shopflow_run_id)).status_code == 201
    Path(os.environ["GATE_TEST_READY"], "checkout").touch()
    time.sleep(120)


@pytest.mark.payments
def test_signs_up_a_customer_and_hangs(api, shopflow_run_id):
    customer = {"email": f"qa+{uuid.uuid4().hex[:8]}@example.test", "password": "Pw-0123456789", "name": "Hang"}
    assert api.post("/api/customers", json=customer, headers=_tagged(shopflow_run_id)).status_code == 201
    # A helper in a session of its own that shrugs off Ctrl-C, as a detached browser may.
    subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(300)"],
                     start_new_session=True)
    Path(os.environ["GATE_TEST_READY"], "payments").touch()
    time.sleep(120)
"""


def _tagged_rows(api_url: str, run_id: str) -> int:
    counts = httpx.get(
        f"{api_url}/api/admin/test-runs/{run_id}", headers={"Authorization": "Bearer local-admin-token"}, timeout=10
    ).json()
    return sum(v for k, v in counts.items() if k != "tag")


@pytest.fixture
def production_mirror(tmp_path: Path):
    """A counting server on 127.0.0.2 standing in for production, and an env file that lists
    127.0.0.2 as a production network and names an environment reaching it in disguise
    (2130706434 is 127.0.0.2): every connection to it, refused gate or not, is counted."""
    from tests.fixtures.countingserver import CountingServer

    server = CountingServer(host="127.0.0.2", routes={("GET", "/health"): (200, {"status": "ok", "version": "abc1234"})})
    server.start()
    disguised = f"http://2130706434:{server.port}"
    env_file = tmp_path / "mirror.toml"
    env_file.write_text(
        f'[safety]\nproduction_networks = ["127.0.0.2/32"]\n\n[environments.mirror]\n'
        f'web_url = "{disguised}"\napi_url = "{disguised}"\npolicy = "read-write"\n'
    )
    yield server, env_file
    server.stop()


def test_a_gate_whose_every_test_is_refused_sends_nothing_and_ends_refused(
    production_mirror, suites: Path, tmp_path: Path
) -> None:
    server, env_file = production_mirror
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            "mirror",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(suites),
            "--suites",
            "payments,checkout",
            "--quiet",
        ],
        _environ(tmp_path, reports, GATE_TEST_API_URL=server.url),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert server.connections == 0, [(s.method, s.path) for s in server.seen]  # not even GET /health
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith(
        f"shopflow-qa: error: environment 'mirror' points at production (web URL http://2130706434:{server.port} "
        "reaches 127.0.0.2, in production network 127.0.0.2/32; api URL"
    )
    assert result.stderr.rstrip().endswith(
        "every selected test is refused (1 checkout, 1 payments); only tests marked nondestructive run there"
    )
    assert result.stdout.startswith("gate REFUSED (exit 2)")
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert (gate["verdict"], gate["exit_code"], gate["environment"]["read_only"]) == ("refused", 2, True)
    assert [(s["name"], s["status"]) for s in gate["stages"]] == [("preflight", "refused"), ("reports", "skipped")]
    assert {a["name"]: (a["status"], a["tests"], a["skipped"]) for a in gate["areas"]} == {
        "payments": ("skipped", 1, 1),
        "checkout": ("skipped", 1, 1),
    }
    assert "**REFUSED**" in (_latest(reports) / "summary.md").read_text()


def test_on_a_production_mirror_only_nondestructive_tests_run_and_refused_stages_are_skipped(
    production_mirror, suites: Path, tmp_path: Path
) -> None:
    server, env_file = production_mirror
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            "mirror",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(suites),
            "--suites",
            "smoke,payments,admin",
            "--quiet",
        ],
        _environ(tmp_path, reports, GATE_TEST_API_URL=server.url),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert {s.method for s in server.seen} == {"GET"}, "reads only: preflight's /health and the nondestructive smoke test"
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    stages = {s["name"]: s for s in gate["stages"]}
    assert stages["smoke"]["status"] == "passed"
    assert (stages["areas"]["status"], stages["areas"]["detail"]) == (
        "skipped",
        "every areas test refused on mirror (1 admin, 1 payments): only nondestructive tests run there",
    )
    assert (stages["load"]["status"], gate["load"]["detail"]) == ("skipped", "refused on mirror: load")
    assert {a["name"]: a["status"] for a in gate["areas"]} == {"smoke": "passed", "payments": "skipped", "admin": "skipped"}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_during_the_areas_purges_their_data_leaves_no_process_and_exits_3(
    stack, tmp_path: Path, sig: signal.Signals
) -> None:
    """Tests of two xdist workers (one with a browser) made tagged data and hang; the signal
    stops them all, the gate purges what they tagged, and nothing it started is left running."""
    from tests.process_tree import leftovers, new_mark

    suites = tmp_path / "hanging"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_hanging.py").write_text(HANGING_TESTS)
    ready = tmp_path / "ready"
    ready.mkdir()
    reports = tmp_path / "reports"
    mark = new_mark()
    run_id = f"gate-signal-{sig.name.lower()}-{os.getpid()}"
    env = _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url, GATE_TEST_READY=str(ready), SHOPFLOW_RUN_ID=run_id, **mark)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "gate",
            "--env",
            stack.name,
            "--env-file",
            str(stack.env_file),
            "--suites-path",
            str(suites),
            "--suites",
            "payments,checkout",
            "--no-load",
            "--quiet",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # generous: a busy 2-core machine starts pytest and Chromium slowly
        while len(list(ready.iterdir())) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _tagged_rows(stack.api_url, run_id) >= 2, "the hanging tests made their data"
        process.send_signal(sig)
        out, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 3, out + err
    assert "Traceback" not in out + err
    assert _tagged_rows(stack.api_url, run_id) == 0, "the interrupted run's data is purged"
    assert leftovers(mark) == [], "no pytest, xdist worker, browser or detached helper outlives the gate"
    run = _latest(reports)
    gate = json.loads((run / "gate.json").read_text())
    label = "SIGTERM" if sig == signal.SIGTERM else "Ctrl-C"
    assert gate["verdict"] == "interrupted" and gate["reason"] == f"interrupted ({label}): partial reports written"
    assert gate["stages"][2] == {**gate["stages"][2], "name": "areas", "status": "interrupted", "detail": label}
    assert gate["run_id"] == run_id and gate["test_data"]["status"] == "purged"
    assert f"run `{run_id}` purged" in (run / "summary.md").read_text(), "partial reports written"


CRASHING_TEST = """
import os
import signal

import pytest


@pytest.mark.checkout
def test_makes_a_cart_and_its_pytest_dies(api, shopflow_run_id):
    tagged = {"X-ShopFlow-Test-Run": shopflow_run_id, "Authorization": "Bearer local-service-token"}
    assert api.post("/api/carts", headers=tagged).status_code == 201
    os.kill(os.getpid(), signal.SIGKILL)  # pytest crashes: no teardown, no purge of its own
"""


def test_a_crashed_pytest_still_ends_with_the_run_data_purged(stack, tmp_path: Path) -> None:
    suites = tmp_path / "crashing"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_crash.py").write_text(CRASHING_TEST)
    reports = tmp_path / "reports"
    run_id = f"gate-crash-{os.getpid()}"
    result = _gate(
        [
            "--env",
            stack.name,
            "--env-file",
            str(stack.env_file),
            "--suites-path",
            str(suites),
            "--suites",
            "checkout",
            "--workers",
            "1",
            "--no-load",
            "--quiet",
        ],
        _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url, SHOPFLOW_RUN_ID=run_id),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("shopflow-qa: error: pytest could not run the checkout tests (exit -9)")
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert gate["test_data"]["status"] == "purged" and gate["test_data"]["purged"]["carts"] == 1
    assert _tagged_rows(stack.api_url, run_id) == 0


def test_a_target_gone_at_clean_up_leaves_the_run_id_and_the_purge_command_in_both_reports(tmp_path: Path) -> None:
    """The API died mid-run (kill -9): the purge cannot reach it, so gate.json, summary.md and
    the screen carry the run id and the exact command that purges it later."""
    from shopflow_qa.cli.gate import Gate
    from shopflow_qa.cli.gate_model import GateOptions, GateState
    from tests.ops.conftest import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    env_file = _env_file(tmp_path, "gone", {"api": closed})
    env_file.write_text(
        env_file.read_text() + 'allow_default_secrets = true\n[environments.gone.default_secrets]\nadmin_token = "t"\n'
    )
    from shopflow_qa.core.environment import resolve_environment

    options = GateOptions(env="gone", env_files=[str(env_file)], quiet=True)
    run = tmp_path / "run"
    run.mkdir()
    state = GateState(
        run, resolve_environment("gone", [env_file]), datetime.now(UTC), time.monotonic(), run_id="gate-gone-1", wrote_data=True
    )
    gate = Gate(options)
    gate._clean_up(state)
    record = gate._record(state, 1, "red in checkout (1 failed)")
    gate_summary.write_gate_json(record, run)
    gate_summary.write_summary(record, run)

    command = f"shopflow-qa purge --env gone --env-file {env_file.resolve()} --run gate-gone-1"
    data = json.loads((run / "gate.json").read_text())
    assert data["run_id"] == "gate-gone-1" and data["test_data"]["status"] == "left"
    assert data["test_data"]["purge_command"] == command and f"{closed} unreachable" in data["test_data"]["detail"]
    assert f"purge it with `{command}`" in (run / "summary.md").read_text()


def test_a_managed_stack_is_started_once_for_the_gate_and_stopped_after_it(suites: Path, tmp_path: Path) -> None:
    from shopflow_stack import runner
    from tests.conftest import claim_port_base

    name = f"gate-auto-{os.getpid()}"
    base = claim_port_base(name)
    env_file = tmp_path / "managed.toml"
    env_file.write_text(
        "\n".join(
            [
                f"[environments.{name}]",
                *(
                    f'{role}_url = "http://127.0.0.1:{base + offset}"'
                    for role, offset in (("web", 0), ("admin", 1), ("api", 2), ("payments", 3))
                ),
                "managed_stack = true",
                f'stack_name = "{name}"',
                "allow_default_secrets = true",
                "",
            ]
        )
    )
    reports = tmp_path / "reports"
    env = _environ(tmp_path, reports, GATE_TEST_API_URL=f"http://127.0.0.1:{base + 2}")
    try:
        result = _gate(
            ["--env", name, "--env-file", str(env_file), "--suites-path", str(suites), "--suites", "smoke", "--no-load"], env
        )
        assert result.returncode == 0, result.stdout + result.stderr
        gate = json.loads((_latest(reports) / "gate.json").read_text())
        assert f"started local stack '{name}' on port {base}" in gate["stages"][0]["detail"]
        assert gate["areas"][0]["passed"] == 1
        assert runner.read_state(name) is None, "the gate stops the stack it started"
    finally:
        runner.down(name)


def test_suites_that_cannot_start_are_an_error_not_a_red_gate(stack, tmp_path: Path) -> None:
    broken = tmp_path / "broken-suites"
    broken.mkdir()
    (broken / "conftest.py").write_text("raise RuntimeError('conftest blew up')\n")
    (broken / "test_x.py").write_text("import pytest\n\n@pytest.mark.smoke\ndef test_x():\n    pass\n")
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    result = _gate(
        ["--env", "gatetest", "--env-file", str(env_file), "--suites-path", str(broken), "--quiet", "--no-load"],
        _environ(tmp_path, tmp_path / "reports"),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("shopflow-qa: error: pytest could not run the smoke tests")
    assert "conftest blew up" in result.stderr


def test_areas_without_tests_are_a_warning_and_a_gate_without_any_test_is_an_error(stack, tmp_path: Path) -> None:
    """Suites land area by area: the gate says which areas are not verified yet, and never
    calls a run green that verified nothing."""
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    only_smoke = tmp_path / "only-smoke"
    only_smoke.mkdir()
    (only_smoke / "conftest.py").write_text(CONFTEST)
    (only_smoke / "test_smoke.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_health(api):\n    assert api.get('/health').status_code == 200\n"
    )
    reports = tmp_path / "reports"
    env = _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url)

    result = _gate(
        ["--env", "gatetest", "--env-file", str(env_file), "--suites-path", str(only_smoke), "--no-load", "--quiet"], env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert [(s["name"], s["status"]) for s in gate["stages"]][2:4] == [("smoke", "passed"), ("areas", "skipped")]
    assert f"no contract, payments, checkout, admin tests under {only_smoke}" in gate["stages"][3]["detail"]
    assert any("not verified" in w for w in gate["warnings"])
    assert {a["name"]: a["status"] for a in gate["areas"]} == {
        "smoke": "passed",
        "contract": "empty",
        "payments": "empty",
        "checkout": "empty",
        "admin": "empty",
    }
    assert "those areas are not verified" in (_latest(reports) / "summary.md").read_text()

    missing = tmp_path / "no-suites-here"
    result = _gate(["--env", "gatetest", "--env-file", str(env_file), "--suites-path", str(missing), "--no-load", "--quiet"], env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("shopflow-qa: error: no tests ran: none found for smoke, contract")
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert gate["verdict"] == "error" and [(s["name"], s["status"]) for s in gate["stages"]] == [
        ("preflight", "passed"),
        ("wait", "skipped"),
        ("smoke", "skipped"),
        ("areas", "skipped"),
        ("load", "skipped"),
        ("reports", "skipped"),
    ]
    assert gate["stages"][2]["detail"] == f"no suites folder at {missing}"


def test_tests_marked_only_api_are_gated_with_contract(stack, tmp_path: Path) -> None:
    suites = tmp_path / "api-suites"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST.replace('("smoke", "contract"', '("smoke", "api", "contract"'))
    (suites / "test_api.py").write_text(
        "import pytest\n\n@pytest.mark.api\ndef test_unknown_route_is_404(api):\n"
        "    assert api.get('/api/no-such-thing').status_code == 404\n"
    )
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            "gatetest",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(suites),
            "--no-load",
            "--suites",
            "contract",
            "--quiet",
        ],
        _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    gate = json.loads((_latest(reports) / "gate.json").read_text())
    assert {a["name"]: a["passed"] for a in gate["areas"]} == {"contract": 1}


LEAKY_TEST = """
import os
from pathlib import Path

import pytest


@pytest.mark.checkout
def test_writes_secrets_past_every_redactor(shopflow_redactor):
    token = os.environ["GATE_TEST_TOKEN"]
    minted = "Pw-gate-minted-" + os.environ["GATE_TEST_MINTED"]
    shopflow_redactor.add_secrets([minted])  # what the customer factory does with a password it makes up
    print("token is", token, "and the customer's password", minted)  # redacted: captured output
    run = Path(os.environ["SHOPFLOW_RUN_DIR"])
    (run / "careless-token.txt").write_text(token)  # written straight into the run folder: no redactor sees it
    (run / "careless-minted.txt").write_text(minted)
    assert False, "token " + token


@pytest.mark.smoke
def test_fine():
    pass
"""


def test_a_secret_anywhere_in_the_run_folder_fails_the_gate_and_a_leaking_history_does_not_poison_the_next(
    stack, tmp_path: Path
) -> None:
    """The reports stage scans the whole run folder (also inside zip archives) for the
    environment's secrets and for those minted during the run (a customer's password, known
    only to the xdist worker that made it up): a hit fails the gate; gate.json and summary.md
    stay clean, and the failure keeps its assertion message. The next run carries that run's
    history, in which a secret was planted (as an older harness could have written it): the
    secret is redacted on the way, so that run is green, with a warning."""
    secret, minted = "gate-test-secret-4f9a1c", f"Pw-gate-minted-{os.getpid()}x{time.time_ns() % 10**6}"
    suites = tmp_path / "leaky"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_leak.py").write_text(LEAKY_TEST)
    env_file = _env_file(tmp_path, "leaky", stack.urls)
    env_file.write_text(
        env_file.read_text() + 'allow_default_secrets = true\n[environments.leaky.secrets]\ntoken = "GATE_TEST_TOKEN"\n'
    )
    reports, private_tmp = tmp_path / "reports", tmp_path / "tmp"
    private_tmp.mkdir()
    env = _environ(
        tmp_path,
        reports,
        GATE_TEST_API_URL=stack.api_url,
        GATE_TEST_TOKEN=secret,
        GATE_TEST_MINTED=minted.removeprefix("Pw-gate-minted-"),
        TMPDIR=str(private_tmp),
    )
    common = ["--env", "leaky", "--env-file", str(env_file), "--suites-path", str(suites), "--no-load", "--quiet"]
    result = _gate(common, env)
    assert result.returncode == 1, result.stdout + result.stderr
    run = _latest(reports)
    gate = json.loads((run / "gate.json").read_text())
    assert gate["stages"][-1] == {
        **gate["stages"][-1],
        "name": "reports",
        "status": "failed",
        "detail": "secret found in the run folder",
    }
    assert "reports (a secret in " in gate["reason"]
    [warning] = [w for w in gate["warnings"] if w.startswith("a secret value is written in ")]
    assert warning.startswith("a secret value is written in careless-minted.txt, careless-token.txt: "), warning
    [failure] = gate["failures"]
    assert failure["reason"] == "AssertionError: token [REDACTED]", "the assertion, not the first traceback line"
    for name in ("gate.json", "summary.md"):
        assert secret not in (run / name).read_text() and minted not in (run / name).read_text(), f"{name} is redacted"
    assert secret not in result.stdout + result.stderr and minted not in result.stdout + result.stderr
    assert list(private_tmp.glob("shopflow-secrets-*")) == [], "the minted secrets' file is deleted after the scan"

    history = run / allure_history.HISTORY_FILE
    entry = json.loads(history.read_text().splitlines()[-1])
    entry["testResults"]["planted"] = {
        "id": "planted",
        "name": "test_old",
        "status": "failed",
        "message": f"AssertionError: token {secret}",
    }
    history.write_text(history.read_text() + json.dumps(entry) + "\n")
    next_run = _gate([*common, "--suites", "smoke"], env)
    assert next_run.returncode == 0, next_run.stdout + next_run.stderr
    second = _latest(reports)
    gate = json.loads((second / "gate.json").read_text())
    assert gate["verdict"] == "passed" and gate["stages"][-1]["status"] == "passed"
    [warning] = gate["warnings"]
    assert warning.startswith(f"Allure history from {run}: a secret redacted in 1 entry "), warning
    assert secret_leaks(second, [secret, minted]) == []


def test_secret_scan_looks_inside_zip_archives(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "trace.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("trace.network", "Authorization: Bearer gate-zip-secret-77\n" * 20)
        archive.writestr("trace.stacks", "nothing here")
    assert secret_leaks(tmp_path, ["gate-zip-secret-77"]) == [Path("trace.zip!trace.network")]
    assert secret_leaks(tmp_path, ["other-secret-value"]) == []


def test_a_test_module_that_cannot_be_imported_is_named_in_the_error(stack, suites: Path, tmp_path: Path) -> None:
    broken = tmp_path / "suites-with-a-broken-module"
    broken.mkdir()
    (broken / "conftest.py").write_text(CONFTEST)
    (broken / "test_areas.py").write_text(TESTS)
    (broken / "test_payments_new.py").write_text("import pytest\nfrom nowhere import thing\n")
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    result = _gate(
        ["--env", "gatetest", "--env-file", str(env_file), "--suites-path", str(broken), "--quiet", "--no-load"],
        _environ(tmp_path, tmp_path / "reports", GATE_TEST_API_URL=stack.api_url),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    # one line naming the module (its path is relative to pytest's rootdir, which depends on
    # where the checkout and the temporary folder live) and its first exception
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("shopflow-qa: error: pytest could not run the smoke tests (exit 2): collecting ")
    assert result.stderr.endswith(
        "suites-with-a-broken-module/test_payments_new.py: ModuleNotFoundError: No module named 'nowhere'\n"
    ), result.stderr

    # The same under xdist (the areas stage), where pytest says exit 1 and writes a JUnit error.
    result = _gate(
        [
            "--env",
            "gatetest",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(broken),
            "--quiet",
            "--suites",
            "payments,admin",
            "--no-load",
        ],
        _environ(tmp_path, tmp_path / "reports", GATE_TEST_API_URL=stack.api_url),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("shopflow-qa: error: pytest could not run the payments, admin tests (exit 1): collecting "), (
        result.stderr
    )
    assert "suites-with-a-broken-module/test_payments_new.py: ModuleNotFoundError: No module named 'nowhere'" in result.stderr, (
        result.stderr
    )


SCHEMATHESIS_TEST = """
import os

import pytest
import schemathesis
from hypothesis import settings

schema = schemathesis.openapi.from_dict({
    "openapi": "3.0.3", "info": {"title": "two reads", "version": "1"},
    "paths": {
        "/health": {"get": {"responses": {"200": {"description": "ok"}}}},
        "/api/categories": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
})
schema.config.update(base_url=os.environ["GATE_TEST_API_URL"])


@pytest.mark.contract
@schema.parametrize()
@settings(max_examples=1)
def test_reads(case):
    case.call()
"""


def test_schemathesis_operations_count_as_tests_not_as_reruns(stack, tmp_path: Path) -> None:
    """schemathesis gives each operation of one test the same node id: the gate keeps them apart."""
    suites = tmp_path / "contract-suites"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_contract.py").write_text(SCHEMATHESIS_TEST)
    env_file = _env_file(tmp_path, "gatetest", stack.urls)
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            "gatetest",
            "--env-file",
            str(env_file),
            "--suites-path",
            str(suites),
            "--no-load",
            "--suites",
            "contract",
            "--quiet",
        ],
        _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [contract] = json.loads((_latest(reports) / "gate.json").read_text())["areas"]
    assert (contract["tests"], contract["passed"], contract["rerun"]) == (2, 2, 0), contract
    stats = allure_report.report_stats(_latest(reports))
    assert (stats["total"], stats.get("retries", 0)) == (2, 0), "Allure too shows two tests, not one retried"


def test_the_load_step_runs_the_profile_and_its_slos_land_in_gate_json_and_summary(stack, tmp_path: Path) -> None:
    """The real `shopflow-qa load` as the gate's load step (short), with its report in load/."""
    suites = tmp_path / "smoke-only"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_smoke.py").write_text(
        "import pytest\n\n@pytest.mark.smoke\ndef test_health(api):\n    assert api.get('/health').status_code == 200\n"
    )
    reports = tmp_path / "reports"
    result = _gate(
        [
            "--env",
            stack.name,
            "--env-file",
            str(stack.env_file),
            "--suites-path",
            str(suites),
            "--suites",
            "smoke",
            "--load",
            "checkout_flow",
            "--load-duration",
            "5s",
            "--quiet",
        ],
        _environ(tmp_path, reports, GATE_TEST_API_URL=stack.api_url),
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run = _latest(reports)
    gate = json.loads((run / "gate.json").read_text())
    assert [(s["name"], s["status"]) for s in gate["stages"]][-2:] == [("load", "passed"), ("reports", "passed")]
    load = gate["load"]
    assert (load["profile"], load["status"], load["summary"]) == ("checkout_flow", "passed", "load/summary.json")
    assert load["slos"] and all(row["passed"] for row in load["slos"])
    assert any("POST /api/orders" in row["name"] for row in load["slos"]), load["slos"]
    assert any(p.suffix == ".html" for p in (run / "load").iterdir()) and list((run / "load").glob("*.csv"))
    summary = json.loads((run / "load" / "summary.json").read_text())
    assert summary["successful_checkouts"] > 0 and summary.get("purged"), "the load step leaves no tagged data"
    assert "| SLO | limit | measured | result |" in (run / "summary.md").read_text()
