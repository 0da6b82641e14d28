"""The suites run unchanged against a staging-shaped environment: the proof, in `make test`.

The local stack is put behind nginx with TLS from a throw-away CA on hostnames of its own
(tests/rehearsal/site.py says how, and how the names resolve); the environment exists only in
a temporary env file shaped like `staging` (no payments URL, no stack name, no default
secrets, staging's secret roles, server logs in CloudWatch — moto here, fed from the stack's
log files as ECS's log driver would), the secrets only in variables. On it the whole gate is
green and `doctor` has no ✗; three faulty builds put live behind the same proxy — one the
API's, one the payments', one the storefront's — each turn the gate red in its area while
another area stays green, the failed tests carrying their server log lines from CloudWatch. A
rolling deploy (old and new build behind the proxy, then the new alone) is waited for with
`--expect-version`, and a wrong expected version fails in one clear line. Without the
`mailbox` capability the e-mail journeys are skipped and listed as not verified.

CI cost (2 cores): one shared stack and proxy for the module; the green gate runs every area
once; each fault run names its area and one other with the gate's own `--suites`, and shorter
browser waits. The load step is skipped everywhere (`--no-load`): it sends the same API calls
the areas do through the same proxy, its SLOs are judged in tests/load/, and it would add
30 s per run without proving anything about the environment's shape.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shopflow_qa.cli.setup import find_nginx
from tests.conftest import SHOWN_IN_SUMMARY
from tests.ops.conftest import moto_environ, moto_server
from tests.rehearsal import cloudwatch as logs
from tests.rehearsal import site as rehearsal
from tests.rehearsal.nginx import Proxy

GREEN_VERSION = "a11ce0de" + "0" * 32


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rehearsal.Site]:
    if find_nginx() is None:
        pytest.fail("nginx is not installed: run `make setup` (apt package nginx-light)")
    reason = rehearsal.ensure_hostnames()
    if reason:
        pytest.skip(reason)
    yield rehearsal.make_site(tmp_path_factory.mktemp("rehearsal"))


@pytest.fixture(scope="module")
def cloudwatch(site: rehearsal.Site) -> Iterator[logs.LogShipper]:
    """A moto server on 127.0.0.1 (never a real account) and the shipper feeding it."""
    with moto_server() as endpoint:
        site.extra_environ.update(moto_environ(endpoint, site.folder))
        shipper = logs.LogShipper(endpoint, site.folder)
        shipper.start()
        yield shipper
        shipper.stop()


@pytest.fixture(scope="module")
def proxy(site: rehearsal.Site, cloudwatch: logs.LogShipper) -> Iterator[Proxy]:
    """nginx fronting the healthy stack; a test that swaps the stack puts it back."""
    name = f"reh-{uuid.uuid4().hex[:6]}"
    stack = rehearsal.start_stack(site, name, GREEN_VERSION)
    cloudwatch.follow(name)
    front = Proxy(site)
    try:
        front.start(stack)
        yield front
    finally:
        front.stop()
        rehearsal.stop_stack(name)


@pytest.fixture
def say(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Print a line and show it in the run's terminal summary too (tests/conftest.py), where CI's
    log keeps it even when the test passes and its output is captured."""

    def line(text: str) -> None:
        print(text)
        request.node.user_properties.append((SHOWN_IN_SUMMARY, text))

    return line


def gate(site: rehearsal.Site, env_file: Path, reports: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = site.harness_environ(SHOPFLOW_REPORTS_DIR=str(reports), **environ)
    command = [sys.executable, "-m", "shopflow_qa.cli", "gate", "--env", "rehearsal", "--env-file", str(env_file)]
    return subprocess.run(
        [*command, "--no-load", "--quiet", *args], cwd=rehearsal.REPO_ROOT, env=env, capture_output=True, text=True, timeout=480
    )


def record(reports: Path) -> dict:
    return json.loads((reports / "latest" / "gate.json").read_text())


def env_file(site: rehearsal.Site, **capabilities: object) -> Path:
    return site.env_file(capabilities=capabilities, aws=logs.aws_table())


def test_the_whole_gate_is_green_and_doctor_finds_nothing_wrong(
    site: rehearsal.Site, proxy: Proxy, tmp_path: Path, say: Callable[[str], None]
) -> None:
    staging_like = env_file(site)
    say("rehearsal URLs: " + ", ".join(f"{role} {url}" for role, url in site.urls.items()))
    assert all(url.startswith("https://") and "127.0.0.1" not in url and "localhost" not in url for url in site.urls.values())
    doctor = subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "doctor", "--env", "rehearsal", "--env-file", str(staging_like)],
        cwd=rehearsal.REPO_ROOT,
        env=site.harness_environ(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(doctor.stdout)
    lines = [line for line in doctor.stdout.splitlines() if line[:1] in ("✓", "–", "✗", "!")]
    assert doctor.returncode == 0 and lines and all(line[0] in "✓–" for line in lines), doctor.stdout + doctor.stderr
    done = gate(site, staging_like, tmp_path)
    verdict = record(tmp_path)
    say(f"gate verdict on the rehearsal: {verdict['verdict']} (exit {done.returncode})")
    assert done.returncode == 0 and verdict["verdict"] == "passed", done.stdout[-3000:] + done.stderr[-2000:]
    ran = {area["name"]: area for area in verdict["areas"]}
    assert set(ran) == {"smoke", "contract", "payments", "checkout", "admin"}, ran
    assert all(area["passed"] and not area["skipped"] for area in ran.values()), ran
    assert verdict["not_verified"] == {}


# fault → (the gate's areas for the run, the area it must turn red, the area that stays green)
FAULTS = {
    "schema_drift": ("contract,payments", "contract", "payments"),  # the API's: product JSON renames price
    "skip_3ds": ("smoke,payments", "payments", "smoke"),  # the shop pays 3DS cards without the challenge
    "pay_button_broken": ("smoke,checkout", "checkout", "smoke"),  # the storefront's pay button does nothing
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_faulty_build_going_live_turns_the_gate_red_in_its_area(
    fault: str, site: rehearsal.Site, proxy: Proxy, cloudwatch: logs.LogShipper, tmp_path: Path, say: Callable[[str], None]
) -> None:
    suites, red, green = FAULTS[fault]
    healthy = proxy.stack
    assert healthy is not None
    name = f"reh-{fault[:10].replace('_', '-')}-{uuid.uuid4().hex[:4]}"
    faulty = rehearsal.start_stack(site, name, uuid.uuid4().hex, faults=(fault,))
    cloudwatch.follow(name)
    try:
        proxy.switch(faulty)
        done = gate(site, env_file(site), tmp_path, "--suites", suites, SHOPFLOW_BROWSER_TIMEOUT_MS="5000")
    finally:
        proxy.switch(healthy)
        rehearsal.stop_stack(name)
    verdict = record(tmp_path)
    areas = {area["name"]: area["status"] for area in verdict["areas"]}
    say(f"rehearsal with {fault}: gate {verdict['verdict']} (exit {done.returncode}): {verdict['reason']}")
    assert done.returncode == 1 and verdict["verdict"] == "failed", done.stdout[-3000:] + done.stderr[-2000:]
    assert areas[red] == "failed" and areas[green] == "passed", (areas, verdict["failures"])
    assert {failure["area"] for failure in verdict["failures"]} == {red}, verdict["failures"]
    if fault == "skip_3ds":  # the API tests' evidence: their own requests' lines, from CloudWatch
        evidence = [path.read_text() for path in (tmp_path / "latest").resolve().rglob("server-logs.txt")]
        assert evidence and all(text.startswith("# CloudWatch: ") for text in evidence), evidence[:1]
        by_id = [text for text in evidence if "chosen by request ids" in text]
        assert by_id and all("shopflow_stack.api.access POST /api/orders/" in text for text in by_id), by_id[:1]


def test_a_rolling_deploy_is_waited_for_and_a_wrong_version_fails_clearly(
    site: rehearsal.Site, proxy: Proxy, cloudwatch: logs.LogShipper, tmp_path: Path, say: Callable[[str], None]
) -> None:
    old = proxy.stack
    assert old is not None
    new_version = uuid.uuid4().hex + "0" * 8
    name = f"reh-new-{uuid.uuid4().hex[:4]}"
    env = site.harness_environ(SHOPFLOW_REPORTS_DIR=str(tmp_path / "deploy"))
    command = [sys.executable, "-m", "shopflow_qa.cli", "gate", "--env", "rehearsal", "--env-file", str(env_file(site))]
    waiting = subprocess.Popen(
        [*command, "--no-load", "--quiet", "--suites", "smoke", "--expect-version", new_version[:12], "--wait-for-deploy", "2m"],
        cwd=rehearsal.REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        new = rehearsal.start_stack(site, name, new_version)  # the gate waits meanwhile, the old build answering
        cloudwatch.follow(name)
        proxy.switch(old, new, wait=False)  # rolling: both builds serve for a while
        time.sleep(3)
        proxy.switch(new)
        out, err = waiting.communicate(timeout=240)
        deployed = record(tmp_path / "deploy")
        say(f"rehearsal rolling deploy: gate {deployed['verdict']} (exit {waiting.returncode}), version {deployed['version']}")
        assert waiting.returncode == 0 and deployed["verdict"] == "passed", out[-3000:] + err[-2000:]
        assert deployed["version"]["deployed"] == new_version
        assert [s["status"] for s in deployed["stages"] if s["name"] == "wait"] == ["passed"]
        wrong = "0badc0de" * 5
        done = gate(
            site, env_file(site), tmp_path / "wrong", "--suites", "smoke", "--expect-version", wrong, "--wait-for-deploy", "4s"
        )
    finally:
        if waiting.poll() is None:
            waiting.kill()
        proxy.switch(old)
        rehearsal.stop_stack(name)
    line = f"deploy not live after 4 s: expected version {wrong}, {site.url('api')}/health reports {new_version}"
    say(f"rehearsal wrong version: exit {done.returncode}: {done.stderr.strip()}")
    assert done.returncode == 2 and line in done.stderr and "Traceback" not in done.stderr + done.stdout, done.stderr


def test_without_a_mailbox_the_email_journeys_are_skipped_and_listed_as_not_verified(
    site: rehearsal.Site, proxy: Proxy, tmp_path: Path
) -> None:
    no_mailbox = env_file(site, mailbox=False)
    done = gate(site, no_mailbox, tmp_path, "--suites", "checkout,payments", "--", "-k", "email or mailbox or amount_charged")
    verdict = record(tmp_path)
    journeys = {
        "suites/checkout/test_guest_checkout.py::test_the_confirmation_email_reaches_the_mailbox",
        "suites/payments/test_payments_api.py::test_the_confirmation_email_arrives_exactly_once",
    }
    assert done.returncode == 0 and verdict["verdict"] == "passed", done.stdout[-3000:] + done.stderr[-2000:]
    assert set(verdict["not_verified"]) == {"mailbox"} and set(verdict["not_verified"]["mailbox"]) == journeys
    junit = (tmp_path / "latest" / "junit.xml").read_text()
    assert junit.count("not verified on rehearsal: needs mailbox (the emails the shop sent") >= 2
    summary = (tmp_path / "latest" / "summary.md").read_text()
    assert "### Not verified on this environment" in summary
    assert all(f"`{journey}`" in summary for journey in journeys), summary
    assert "not verified on this environment: mailbox (2 tests:" in done.stdout, done.stdout
