"""The checkout journeys' mobile variant: pytest-playwright's `--device "Pixel 7"` runs them in a
phone's viewport and touch emulation; their pages are recorded as `mobile` and judged by the
`pages_mobile` budgets (one journey here: browser runs are the expensive part of CI). Its Allure
result carries the page timings and axe-core's results."""

from __future__ import annotations

import json
from pathlib import Path

from tests.suites.browser_fault_map import GUEST_BUYS
from tests.suites.suite_run import run_suites


def test_a_checkout_journey_passes_on_pixel_7_and_its_pages_are_the_mobile_variant(
    sqlite_stack, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("SHOPFLOW_RUN_DIR", str(tmp_path / "run"))
    run = run_suites(sqlite_stack, (GUEST_BUYS,), tmp_path, ("--device", "Pixel 7", "--alluredir", str(tmp_path / "allure")))
    assert set(run.outcomes) == {GUEST_BUYS} and not run.failed, run.output
    visits = [json.loads(line) for path in (tmp_path / "run" / "pages").glob("*.jsonl") for line in path.read_text().splitlines()]
    assert {v["page"] for v in visits} >= {"/cart", "/checkout", "/orders/[id]/confirmation"}
    assert {v["variant"] for v in visits} == {"mobile"}
    # the journey's Allure result carries its page timings and what axe-core looked at
    [result] = [json.loads(p.read_text()) for p in (tmp_path / "allure").glob("*-result.json")]
    names = {a["name"] for a in result.get("attachments", [])}
    assert {"Page timings", "Page timings (JSON)", "Accessibility (axe-core)"} <= names, names
