"""The proof an Allure user would ask for: a red gate's single-file report, opened offline in
Chromium (the harness's own browser discovery), shows the failed checkout test with its
screenshot on its own page, and its Playwright trace opens in the trace viewer.

One red gate for the module: the local stack with the `decline_message_wrong` fault, the
checkout area narrowed to the insufficient-funds journey (the one the fault breaks). The
trace viewer the report opens lives at trace.playwright.dev; offline, that origin is served
from the viewer Playwright ships (the same build), so the check needs no network.
`SHOPFLOW_SCREENSHOTS_DIR=docs/screenshots` also saves the overview and the failed test's page
there (how docs/screenshots/allure-*.png were made).
"""

from __future__ import annotations

import mimetypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import playwright
import pytest
from playwright.sync_api import Page, Route, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
JOURNEY = "test_insufficient_funds_shows_its_message_then_another_card_pays"
TRACE_VIEWER = Path(playwright.__file__).parent / "driver" / "package" / "lib" / "vite" / "traceViewer"


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """A file:// page of our own, not the `local` environment's storefront."""
    return {"viewport": {"width": 1400, "height": 1800}}


@pytest.fixture(scope="module")
def red_report(stack_factory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    stack = stack_factory("sqlite", faults=("decline_message_wrong",))
    reports = tmp_path_factory.mktemp("red-gate")
    env = {**os.environ, "SHOPFLOW_REPORTS_DIR": str(reports), "SHOPFLOW_BROWSER_TIMEOUT_MS": "6000"}
    env.pop("SHOPFLOW_RUN_DIR", None)
    command = [sys.executable, "-m", "shopflow_qa.cli", "gate", "--env", stack.name, "--env-file", str(stack.env_file)]
    command += ["--suites", "checkout", "--no-load", "--quiet", "--", "-k", "insufficient_funds"]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "red in checkout (1 failed)" in done.stdout, done.stdout + done.stderr
    return (reports / "latest").resolve() / "allure-report" / "index.html"


def _serve_trace_viewer(route: Route) -> None:
    path = route.request.url.split("trace.playwright.dev/", 1)[1].split("?")[0].split("#")[0] or "index.html"
    file = TRACE_VIEWER / path
    if not file.is_file():
        route.fulfill(status=404, body="")
        return
    route.fulfill(
        status=200, body=file.read_bytes(), content_type=mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    )


def _save(page: Page, name: str) -> None:
    folder = os.environ.get("SHOPFLOW_SCREENSHOTS_DIR")
    if folder:
        page.evaluate("() => document.querySelectorAll('*').forEach(e => { e.scrollTop = 0 })")
        page.screenshot(path=str(Path(folder) / name))


def test_the_failed_test_shows_its_evidence_and_its_trace_opens_in_the_viewer(page: Page, red_report: Path) -> None:
    page.goto(red_report.as_uri())
    expect(page.get_by_text(JOURNEY).first).to_be_visible(timeout=15_000)
    _save(page, "allure-overview.png")

    page.get_by_text(JOURNEY).first.click()
    expect(page.get_by_test_id("test-result-status-failed")).to_be_visible()
    expect(page.get_by_test_id("test-result-error-message").first).to_contain_text("Your card has insufficient funds.")
    headers = page.get_by_test_id("test-result-attachment-header")
    for name in ("Screenshot", "Playwright trace", "Video", "HTTP exchanges (browser)", "Server logs"):
        expect(headers.filter(has_text=name).first).to_be_visible()
    expect(headers.filter(has_text="Playwright trace").first).to_contain_text("application/vnd.allure.playwright-trace")

    # The screenshot is the test's own attachment: expanded, it is an image that loaded.
    headers.filter(has_text="Screenshot").first.click()
    image = page.locator("img[src^='blob:'], img[src^='data:']").first
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    _save(page, "allure-failed-test.png")

    # The trace opens in Playwright's trace viewer, which lists the journey's actions.
    page.context.route("https://trace.playwright.dev/**", _serve_trace_viewer)
    with page.context.expect_page() as opened:
        headers.filter(has_text="Playwright trace").first.locator("button").first.click()
    viewer = opened.value
    expect(viewer).to_have_title("Playwright Trace Viewer", timeout=20_000)
    expect(viewer.get_by_text('get_by_test_id("add-to-cart")').first).to_be_visible(timeout=20_000)
    expect(viewer.get_by_text(JOURNEY.replace("_", "-")).first).to_be_visible()
