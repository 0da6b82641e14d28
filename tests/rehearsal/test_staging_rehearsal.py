"""The suites run unchanged against a staging-shaped environment: the proof, in `make test`.

The local stack is put behind nginx with TLS from a throw-away CA on hostnames of its own
(tests/rehearsal/site.py says how, and how the names resolve); the environment exists only in
a temporary env file shaped like `staging` (no payments URL, no stack name, no default
secrets, staging's secret roles), the secrets only in variables. On it the whole gate is green
and `doctor` has no ✗; three faulty builds put live behind the same proxy — one the API's, one
the payments', one the storefront's — each turn the gate red in its area while another area
stays green.

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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rehearsal import site as rehearsal

GREEN_VERSION = "a11ce0de" + "0" * 32


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rehearsal.Site]:
    if rehearsal.find_nginx() is None:
        pytest.fail("nginx is not installed: run `make setup` (apt package nginx-light)")
    reason = rehearsal.ensure_hostnames()
    if reason:
        pytest.skip(reason)
    yield rehearsal.make_site(tmp_path_factory.mktemp("rehearsal"))


@pytest.fixture(scope="module")
def proxy(site: rehearsal.Site) -> Iterator[rehearsal.Proxy]:
    """nginx fronting the healthy stack; a test that swaps the stack puts it back."""
    name = f"reh-{uuid.uuid4().hex[:6]}"
    stack = rehearsal.start_stack(site, name, GREEN_VERSION)
    front = rehearsal.Proxy(site)
    try:
        front.start(stack)
        yield front
    finally:
        front.stop()
        rehearsal.stop_stack(name)


def gate(site: rehearsal.Site, env_file: Path, reports: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    env = site.harness_environ(SHOPFLOW_REPORTS_DIR=str(reports), **environ)
    command = [sys.executable, "-m", "shopflow_qa.cli", "gate", "--env", "rehearsal", "--env-file", str(env_file)]
    return subprocess.run(
        [*command, "--no-load", "--quiet", *args], cwd=rehearsal.REPO_ROOT, env=env, capture_output=True, text=True, timeout=480
    )


def record(reports: Path) -> dict:
    return json.loads((reports / "latest" / "gate.json").read_text())


def test_the_whole_gate_is_green_and_doctor_finds_nothing_wrong(
    site: rehearsal.Site, proxy: rehearsal.Proxy, tmp_path: Path
) -> None:
    env_file = site.env_file()
    print("rehearsal URLs:", ", ".join(f"{role} {url}" for role, url in site.urls.items()))
    assert all(url.startswith("https://") and "127.0.0.1" not in url and "localhost" not in url for url in site.urls.values())
    doctor = subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "doctor", "--env", "rehearsal", "--env-file", str(env_file)],
        cwd=rehearsal.REPO_ROOT,
        env=site.harness_environ(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    print(doctor.stdout)
    lines = [line for line in doctor.stdout.splitlines() if line[:1] in ("✓", "–", "✗", "!")]
    assert doctor.returncode == 0 and lines and all(line[0] in "✓–" for line in lines), doctor.stdout + doctor.stderr
    done = gate(site, env_file, tmp_path)
    verdict = record(tmp_path)
    print(f"gate verdict on the rehearsal: {verdict['verdict']} (exit {done.returncode})")
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
    fault: str, site: rehearsal.Site, proxy: rehearsal.Proxy, tmp_path: Path
) -> None:
    suites, red, green = FAULTS[fault]
    healthy = proxy.stack
    assert healthy is not None
    name = f"reh-{fault[:10].replace('_', '-')}-{uuid.uuid4().hex[:4]}"
    faulty = rehearsal.start_stack(site, name, uuid.uuid4().hex, faults=(fault,))
    try:
        proxy.switch(faulty)
        done = gate(site, site.env_file(), tmp_path, "--suites", suites, SHOPFLOW_BROWSER_TIMEOUT_MS="5000")
    finally:
        proxy.switch(healthy)
        rehearsal.stop_stack(name)
    verdict = record(tmp_path)
    areas = {area["name"]: area["status"] for area in verdict["areas"]}
    print(f"{fault}: gate {verdict['verdict']} (exit {done.returncode}): {verdict['reason']}")
    assert done.returncode == 1 and verdict["verdict"] == "failed", done.stdout[-3000:] + done.stderr[-2000:]
    assert areas[red] == "failed" and areas[green] == "passed", (areas, verdict["failures"])
    assert {failure["area"] for failure in verdict["failures"]} == {red}, verdict["failures"]
