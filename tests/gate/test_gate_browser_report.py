"""A failing browser test under the gate: its screenshot, trace, video, HTTP exchanges and server
logs are inside the single-file report, and no secret is anywhere in the run folder.

Runs a real gate (`shopflow-qa gate`) against the session's SQLite stack with its own env file
(the local stack's documented secrets, so the gate's secret scan has something to look for)
and a two-test suite: a green smoke test and a checkout test that types the staff password
into the admin sign-in form (so the trace records it), opens the storefront in Chromium, calls
the API with the service token and fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from shopflow_qa.core.environment import load_environments
from shopflow_qa.core.redaction import secret_forms
from tests.gate import fake_suite

REPO_ROOT = Path(__file__).resolve().parents[2]

CONFTEST = fake_suite.MARKERS

TESTS = """
import pytest


@pytest.mark.smoke
def test_catalogue_answers(api):
    assert api.raw_list_products(per_page=1).status_code == 200


@pytest.mark.checkout
def test_storefront_title_is_what_the_test_expects(page, api, shopflow_env):
    assert api.raw_list_products(per_page=1).status_code == 200
    page.goto(shopflow_env.url("admin") + "/sign-in")  # typed as the admin journey types it: into the trace
    page.get_by_label("Password").fill(shopflow_env.secret("admin_password"))
    page.goto("/")
    assert page.title() == "a title the storefront never has"
"""

_ATTACHMENT = re.compile(r'd\("data/attachments/([0-9a-f]+)\.(\w+)","([A-Za-z0-9+/=]*)"\)')


def _embedded_attachments(html: str) -> dict[str, list[bytes]]:
    """Attachments the single-file report embeds, by extension, decoded."""
    found: dict[str, list[bytes]] = {}
    for _, extension, encoded in _ATTACHMENT.findall(html):
        found.setdefault(extension, []).append(base64.b64decode(encoded))
    return found


def _failed_result(results: Path) -> dict:
    [failed] = [r for r in map(json.loads, map(Path.read_text, results.glob("*-result.json"))) if r["status"] == "failed"]
    return failed


def _fixture_entries(results: Path, uuid: str) -> list[str]:
    """The set-up and tear-down entries Allure shows on the page of the test `uuid`."""
    containers = [json.loads(p.read_text()) for p in results.glob("*-container.json")]
    return [e["name"] for c in containers if uuid in c.get("children", []) for e in c.get("befores", []) + c.get("afters", [])]


def test_failed_browser_tests_artefacts_are_in_the_single_file_report_and_no_secret_anywhere(
    sqlite_stack, tmp_path: Path
) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "conftest.py").write_text(CONFTEST)
    (suites / "test_browser.py").write_text(TESTS)
    reports = tmp_path / "reports"
    env = dict(os.environ, SHOPFLOW_REPORTS_DIR=str(reports))
    env.pop("SHOPFLOW_RUN_DIR", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "gate",
            "--env",
            sqlite_stack.name,
            "--env-file",
            str(sqlite_stack.env_file),
            "--suites-path",
            str(suites),
            "--suites",
            "smoke,checkout",
            "--no-load",
            "--quiet",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "red in checkout (1 failed)" in result.stdout
    run = (reports / "latest").resolve()
    gate = json.loads((run / "gate.json").read_text())
    assert gate["stages"][-1]["name"] == "reports" and gate["stages"][-1]["status"] == "passed", gate["stages"]
    assert gate["warnings"] == [], "the gate's own secret scan found nothing"

    # What pytest-playwright kept for the failed test (and only for it), with the plugin's text files.
    [folder] = [p for p in (run / "artefacts").iterdir() if p.is_dir()]
    assert "storefront-title" in folder.name
    kept = {p.suffix: p for p in folder.iterdir()}
    assert {".png", ".zip", ".webm"} <= set(kept), sorted(kept)
    exchanges = (folder / "http-exchanges.txt").read_text()
    assert "GET" in exchanges and "/api/products" in exchanges
    assert "Authorization: [REDACTED]" in exchanges, "the token was sent, and redacted in the record"

    # ... all inside the one HTML file, byte for byte.
    html = (run / "allure-report" / "index.html").read_text()
    embedded = _embedded_attachments(html)
    for suffix in (".png", ".zip", ".webm"):
        assert kept[suffix].read_bytes() in embedded.get(suffix.lstrip("."), []), f"{kept[suffix].name} not in the report"
    texts = [blob.decode() for blob in embedded.get("txt", [])]
    assert any("Authorization: [REDACTED]" in text and "/api/products" in text for text in texts), "HTTP exchanges"
    assert any(text.startswith(f"# local stack '{sqlite_stack.name}'") for text in texts), "server logs"

    # On the failed test's own page: its evidence as the test's attachments (not a fixture's),
    # the trace typed for Allure 3's trace viewer, and only a few set-up/tear-down entries.
    failed = _failed_result(run / "allure-results")
    names = [a["name"] for a in failed["attachments"]]
    attachments = {a["name"].split(" (")[0]: a["type"] for a in failed["attachments"]}
    assert list(attachments) == ["Screenshot", "Playwright trace", "Video", "HTTP exchanges", "Server logs"], names
    assert "HTTP exchanges" in names and "HTTP exchanges (browser)" in names, "the API client's and the browser's"
    browser_exchanges = (folder / "browser-exchanges.txt").read_text()
    assert "GET http" in browser_exchanges and "<-- HTTP 200" in browser_exchanges
    assert "local-admin-password" not in browser_exchanges
    assert attachments["Playwright trace"] == "application/vnd.allure.playwright-trace"
    entries = _fixture_entries(run / "allure-results", failed["uuid"])
    assert len(entries) < 10 and not any("<lambda>" in name or name.startswith("_") for name in entries), entries
    labels = {label["name"]: label["value"] for label in failed["labels"]}
    assert labels["feature"] == labels["parentSuite"] == "Checkout" and labels["severity"] == "normal"
    assert labels["environment"] == sqlite_stack.name and labels["version"], labels

    # No secret of the environment in any form, in any file, also inside zip archives.
    from shopflow_qa.cli.secret_scan import secret_leaks

    secrets = load_environments([sqlite_stack.env_file])[sqlite_stack.name].secret_values()
    assert "local-service-token" in secrets
    assert secret_leaks(run, secrets) == []
    assert not any(form in html for secret in secrets for form in secret_forms(secret))
