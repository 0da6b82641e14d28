"""The load step's SLOs as test cases: a breached threshold is a failing case in JUnit and Allure."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from shopflow_qa.core import load_results
from shopflow_qa.core.load_summary import EndpointStats, LoadSummary, ThresholdResult


def _summary() -> LoadSummary:
    thresholds = [
        ThresholdResult("error_rate", "error_rate", "", "<=", 0.01, 0.0, True),
        ThresholdResult("p95_ms[POST /api/orders/[id]/pay]", "p95_ms", "POST /api/orders/[id]/pay", "<=", 1000, 1840, False),
    ]
    return LoadSummary(
        profile="checkout_flow",
        verdict="failed",
        exit_code=1,
        environment="staging",
        api_url="http://127.0.0.1:1",
        version="abc1234",
        faults=[],
        run_id="r",
        users=4,
        spawn_rate=2,
        duration_s=30,
        shape=None,
        max_requests=0,
        endpoints={},
        total=EndpointStats(count=900, failures=0),
        checks={},
        successful_checkouts=0,
        errors=[],
        thresholds=thresholds,
    )


def test_junit_has_one_case_per_threshold_and_a_failure_naming_the_breached_one(tmp_path: Path) -> None:
    path = load_results.write_junit(_summary(), tmp_path / "junit-load.xml")
    cases = {case.get("name"): case for case in ET.parse(path).getroot().iter("testcase")}
    assert set(cases) == {"SLO error_rate <= 0.01", "SLO p95_ms[POST /api/orders/[id]/pay] <= 1000"}
    assert cases["SLO error_rate <= 0.01"].find("failure") is None
    failure = cases["SLO p95_ms[POST /api/orders/[id]/pay] <= 1000"].find("failure")
    assert failure is not None
    assert failure.get("message") == "SLO breached: p95_ms[POST /api/orders/[id]/pay] measured 1840, limit <= 1000"


def test_allure_gets_a_case_per_threshold_and_the_load_run_with_locusts_report_and_the_plot(tmp_path: Path) -> None:
    load_dir, results = tmp_path / "load", tmp_path / "allure-results"
    load_dir.mkdir()
    (load_dir / "locust.html").write_text("<html>locust</html>")
    (load_dir / "latency.png").write_bytes(b"\x89PNG fake")
    load_results.write_allure(_summary(), load_dir, results, "staging", "abc1234")
    written = {r["name"]: r for r in (json.loads(p.read_text()) for p in results.glob("*-result.json"))}
    breached = written["SLO p95_ms[POST /api/orders/[id]/pay] <= 1000"]
    assert breached["status"] == "failed" and "measured 1840" in breached["statusDetails"]["message"]
    assert {p["name"]: p["value"] for p in breached["parameters"]} == {"limit": "<= 1000", "measured": "1840"}
    assert written["SLO error_rate <= 0.01"]["status"] == "passed"
    run = written["load run checkout_flow"]
    assert run["status"] == "failed" and [a["type"] for a in run["attachments"]] == ["text/html", "image/png"]
    assert (results / run["attachments"][0]["source"]).read_text() == "<html>locust</html>"
    labels = {label["name"]: label["value"] for label in run["labels"]}
    assert labels["feature"] == "Load" and labels["environment"] == "staging" and labels["version"] == "abc1234"
    again = tmp_path / "again"
    load_results.write_allure(_summary(), load_dir, again, "staging")
    ids = {json.loads(p.read_text())["historyId"] for p in again.glob("*-result.json")}
    assert ids == {r["historyId"] for r in written.values()}, "the same threshold keeps its history from run to run"
