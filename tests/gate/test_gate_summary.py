"""gate.json and summary.md from sample JUnit XML and load summaries (no gate run needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopflow_qa.cli import gate_summary as gs
from shopflow_qa.cli.pytest_gate import area_of
from shopflow_qa.core.load_summary import EndpointStats, LoadSummary, LoadSummaryError, ThresholdResult

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="6" time="3.0">
 <testcase classname="suites.smoke.test_health" name="test_health_ok" time="0.5">
  <properties><property name="shopflow_area" value="smoke"/><property name="shopflow_nodeid" value="suites/smoke/test_health.py::test_health_ok"/></properties>
 </testcase>
 <testcase classname="suites.payments.test_pay" name="test_decline" time="1.0">
  <properties><property name="shopflow_area" value="payments"/><property name="shopflow_nodeid" value="suites/payments/test_pay.py::test_decline"/></properties>
 </testcase>
 <testcase classname="suites.payments.test_pay" name="test_decline" time="0.25">
  <properties><property name="shopflow_area" value="payments"/><property name="shopflow_nodeid" value="suites/payments/test_pay.py::test_decline"/></properties>
  <failure message="AssertionError: order status: expected payment_failed, got paid&#10;assert 'paid' == 'payment_failed'">long trace</failure>
 </testcase>
 <testcase classname="suites.checkout.test_guest" name="test_guest_pays" time="2.0">
  <properties><property name="shopflow_area" value="checkout"/><property name="shopflow_nodeid" value="suites/checkout/test_guest.py::test_guest_pays"/></properties>
  <error message="failed on setup with &quot;httpx.ConnectError: [Errno 111] Connection refused&quot;">trace</error>
 </testcase>
 <testcase classname="suites.admin.test_refunds" name="test_refund" time="0.0">
  <properties><property name="shopflow_area" value="admin"/><property name="shopflow_nodeid" value="suites/admin/test_refunds.py::test_refund"/></properties>
  <skipped type="pytest.skip" message="refused on production: admin"/>
 </testcase>
 <testcase classname="suites.api.test_contract" name="test_products[GET /api/products]" time="0.75"/>
</testsuite></testsuites>
"""


def _load_summary(**changes: object) -> LoadSummary:
    """A load summary as `shopflow-qa load` writes it: one threshold met, one breached."""
    values: dict[str, object] = dict(
        profile="checkout_flow",
        verdict="failed",
        exit_code=1,
        environment="local",
        api_url="http://127.0.0.1:8602",
        version="abc1234",
        faults=[],
        run_id="r1",
        users=5,
        spawn_rate=5.0,
        duration_s=30.0,
        shape=None,
        max_requests=0,
        endpoints={"POST /api/orders": EndpointStats(count=40, p95_ms=412.5, rps=1.3)},
        total=EndpointStats(count=40),
        checks={"checkouts": 10, "failed": 0},
        successful_checkouts=10,
        errors=[],
        thresholds=[
            ThresholdResult("p95_ms[POST /api/orders]", "p95_ms", "POST /api/orders", "<=", 800.0, 412.5, True),
            ThresholdResult(
                "error_rate[POST /api/orders/[id]/pay]", "error_rate", "POST /api/orders/[id]/pay", "<=", 0.01, 0.05, False
            ),
            ThresholdResult("p99_ms[POST /api/orders]", "p99_ms", "POST /api/orders", "<=", 1000.0, 1234.5, False),
            ThresholdResult("min_rps", "min_rps", "", ">=", 5.0, None, False),
        ],
    )
    values.update(changes)
    return LoadSummary(**values)


LOAD_SUMMARY = _load_summary()


@pytest.fixture()
def junit(tmp_path: Path) -> Path:
    path = tmp_path / "junit-areas.xml"
    path.write_text(JUNIT)
    return path


def test_reruns_fold_into_one_result_whose_verdict_is_the_last_attempt(junit: Path) -> None:
    outcomes = {o.nodeid: o for o in gs.parse_junit(junit)}
    decline = outcomes["suites/payments/test_pay.py::test_decline"]
    assert (decline.outcome, decline.attempts, decline.duration_s) == ("failed", 2, 1.25)
    assert decline.reason == "AssertionError: order status: expected payment_failed, got paid"
    assert len(outcomes) == 5


def test_area_comes_from_the_property_else_from_the_path(junit: Path) -> None:
    areas = {o.nodeid.split("::")[-1]: o.area for o in gs.parse_junit(junit)}
    assert areas == {
        "test_health_ok": "smoke",
        "test_decline": "payments",
        "test_guest_pays": "checkout",
        "test_refund": "admin",
        "test_products[GET /api/products]": "contract",
    }


def test_area_of_markers_takes_the_first_gate_area() -> None:
    assert area_of({"payments", "checkout", "destructive"}) == "payments"
    assert area_of({"smoke", "api", "contract"}) == "smoke"
    assert area_of({"nondestructive"}) == ""
    assert area_of({"api", "nondestructive"}) == "contract", "suites/api's tests marked only api are contract's"
    assert area_of({"api", "payments"}) == "contract"


def test_counts_per_area(junit: Path) -> None:
    counts = {c.name: c for c in gs.count_areas(gs.parse_junit(junit))}
    assert (counts["payments"].failed, counts["payments"].rerun, counts["payments"].status) == (1, 1, "failed")
    assert (counts["checkout"].errors, counts["checkout"].status) == (1, "failed")
    assert (counts["admin"].skipped, counts["admin"].status) == (1, "skipped")
    assert (counts["contract"].passed, counts["contract"].duration_s) == (1, 0.75)
    assert counts["smoke"].status == "passed"


def test_slo_rows_come_from_the_typed_load_summary(tmp_path: Path) -> None:
    path = tmp_path / "summary.json"
    LOAD_SUMMARY.write(path)
    read = LoadSummary.read(path)
    assert read == LOAD_SUMMARY, "what the load step writes is what the gate reads"
    assert [(r.name, r.limit, r.measured, r.passed) for r in gs.slo_rows(read)] == [
        ("p95_ms[POST /api/orders]", "<= 800", "412.5", True),
        ("error_rate[POST /api/orders/[id]/pay]", "<= 0.01", "0.05", False),
        ("p99_ms[POST /api/orders]", "<= 1000", "1234", False),
        ("min_rps", ">= 5", "no data", False),
    ]
    assert read.breached == ["error_rate[POST /api/orders/[id]/pay]", "p99_ms[POST /api/orders]", "min_rps"]


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"schema": "shopflow-qa/load/0"},
        {**LOAD_SUMMARY.to_json(), "verdict": "fail"},
        {**LOAD_SUMMARY.to_json(), "slo_table": []},
        {key: value for key, value in LOAD_SUMMARY.to_json().items() if key != "thresholds"},
    ],
    ids=["empty", "other-schema", "unknown-verdict", "unknown-field", "missing-field"],
)
def test_a_summary_of_another_shape_is_refused_not_guessed(document: dict[str, object]) -> None:
    with pytest.raises(LoadSummaryError, match="summary.json"):
        LoadSummary.from_json(document)


def test_find_load_summary_ignores_allures_own(tmp_path: Path) -> None:
    (tmp_path / "allure-report").mkdir()
    (tmp_path / "allure-report" / "summary.json").write_text("{}")
    assert gs.find_load_summary(tmp_path) is None
    (tmp_path / "load").mkdir()
    (tmp_path / "load" / "summary.json").write_text("{}")
    assert gs.find_load_summary(tmp_path) == tmp_path / "load" / "summary.json"


def _record(tmp_path: Path, junit: Path) -> gs.GateRecord:
    outcomes = gs.parse_junit(junit)
    (tmp_path / "junit.xml").write_text(JUNIT)
    return gs.GateRecord(
        verdict="failed",
        exit_code=1,
        reason="red in payments (1 failed), checkout (1 failed)",
        environment={"name": "staging", "urls": {"api": "https://staging-api.shopflow.io"}, "read_only": False},
        version={"expected": "abc1234", "deployed": "abc1234def"},
        started_at="2026-11-28T17:00:00+00:00",
        finished_at="2026-11-28T17:01:10+00:00",
        duration_s=70.0,
        run_dir=str(tmp_path),
        report="allure-report/index.html",
        faults=["slow_api"],
        stages=[gs.StageResult("smoke", "passed", 2.0, "1 passed"), gs.StageResult("areas", "failed", 9.0, "2 failed")],
        areas=gs.count_areas(outcomes),
        failures=gs.failures_of(outcomes),
        load={"profile": "checkout_flow", "status": "failed", "slos": [vars(r) for r in gs.slo_rows(LOAD_SUMMARY)]},
    )


def test_gate_json_is_the_record_as_data(tmp_path: Path, junit: Path) -> None:
    path = gs.write_gate_json(_record(tmp_path, junit), tmp_path)
    data = json.loads(path.read_text())
    assert data["schema"] == "shopflow-qa/gate/1" and data["verdict"] == "failed" and data["exit_code"] == 1
    assert {a["name"]: a["status"] for a in data["areas"]}["payments"] == "failed"
    assert [f["test"] for f in data["failures"]] == [
        "suites/payments/test_pay.py::test_decline",
        "suites/checkout/test_guest.py::test_guest_pays",
    ]
    assert data["load"]["slos"][1] == {
        "name": "error_rate[POST /api/orders/[id]/pay]",
        "limit": "<= 0.01",
        "measured": "0.05",
        "passed": False,
    }
    assert data["faults"] == ["slow_api"]


def test_summary_md_names_verdict_version_areas_failures_slos_and_report(tmp_path: Path, junit: Path) -> None:
    text = gs.render_summary(_record(tmp_path, junit))
    assert text.startswith("## ❌ ShopFlow gate on `staging`: **FAILED** (exit 1)")
    assert "Version: `abc1234def` (expected `abc1234`)" in text
    assert "| ❌ payments | 1 | 0 | 1 | 0 | 0 | 1 | 1.2 s |" in text
    assert (
        "- **checkout** `suites/checkout/test_guest.py::test_guest_pays` — failed on setup with "
        '"httpx.ConnectError: [Errno 111] Connection refused"'
    ) in text
    assert "| error_rate[POST /api/orders/[id]/pay] | <= 0.01 | 0.05 | ❌ breached |" in text
    assert "Active fault switches reported by /health: `slow_api`" in text
    assert "- Allure report (one file, opens offline): `allure-report/index.html` in the run folder" in text
    assert str(tmp_path) not in text, "no path of the machine that ran the gate"
    assert "`junit.xml`" in text and "`load/`" not in text
    assert "actions/runs" not in text


def test_summary_md_on_github_actions_links_the_runs_artifacts(tmp_path: Path, junit: Path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "shopflow/shopflow")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    text = gs.render_summary(_record(tmp_path, junit))
    url = "https://github.com/shopflow/shopflow/actions/runs/4242#artifacts"
    assert f"- CI artifact with the whole run folder: [{url}]({url})" in text and str(tmp_path) not in text


def test_one_line_reason_skips_code_and_shortens() -> None:
    assert gs.one_line("\n>   assert x\nE   AssertionError: boom\n") == "E   AssertionError: boom"
    assert len(gs.one_line("x" * 500)) == gs.REASON_WIDTH


def test_merge_junit_keeps_every_stage(tmp_path: Path, junit: Path) -> None:
    smoke = tmp_path / "junit-smoke.xml"
    smoke.write_text(
        '<testsuites><testsuite name="pytest" tests="1"><testcase classname="a" name="b" time="1"/></testsuite></testsuites>'
    )
    merged = gs.merge_junit([smoke, junit, tmp_path / "missing.xml"], tmp_path / "junit.xml")
    assert merged is not None
    outcomes = gs.parse_junit(merged)
    assert len(outcomes) == 6
    assert gs.merge_junit([tmp_path / "missing.xml"], tmp_path / "none.xml") is None


def test_secret_leaks_names_files_never_values(tmp_path: Path) -> None:
    import base64

    from shopflow_qa.cli.secret_scan import secret_leaks

    (tmp_path / "allure-results").mkdir()
    (tmp_path / "allure-results" / "x-attachment.txt").write_text("Authorization: Bearer local-service-token")
    (tmp_path / "allure-report").mkdir()
    encoded = base64.b64encode(b"GET /api/carts\nAuthorization: Bearer local-service-token\n").decode()
    (tmp_path / "allure-report" / "index.html").write_text(f'd("data/attachments/1.txt","{encoded}")')
    (tmp_path / "junit.xml").write_text("<testsuites/>")
    assert secret_leaks(tmp_path, ["local-service-token"]) == [
        Path("allure-report/index.html"),
        Path("allure-results/x-attachment.txt"),
    ]
    assert secret_leaks(tmp_path, ["abc", "other-secret-value"]) == []


def test_the_payment_sandbox_publishable_key_in_a_report_is_not_taken_for_its_secret_key(tmp_path: Path) -> None:
    """Server logs attached to a failed test show the card-fields URL with the publishable key
    (public by design). It must share nothing with the secret key, or the scan reds a good gate."""
    import base64

    from shopflow_qa.cli.secret_scan import secret_leaks
    from shopflow_qa.core.environment import load_environments
    from shopflow_stack.payments.keys import publishable_key_for

    local = load_environments()["local"]
    secret_key = local.secret("payments_key")
    log_line = f'GET /elements/card?pk={publishable_key_for(secret_key)}&parent_origin=http://127.0.0.1:8600 HTTP/1.1" 200\n'
    (tmp_path / "index.html").write_text(f'd("data/attachments/logs.txt","{base64.b64encode(log_line.encode()).decode()}")')
    (tmp_path / "logs.txt").write_text(log_line)
    assert secret_leaks(tmp_path, local.secret_values()) == []
    (tmp_path / "leak.txt").write_text(f"Authorization: Bearer {secret_key}")
    assert secret_leaks(tmp_path, local.secret_values()) == [Path("leak.txt")]


NEEDS_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="suites.payments.test_payments_api" name="test_email" time="0.01">
  <properties><property name="shopflow_nodeid" value="suites/payments/test_payments_api.py::test_email"/></properties>
  <skipped type="pytest.skip" message="not verified on rehearsal: needs mailbox (the emails the shop sent)">skip</skipped>
</testcase>
<testcase classname="suites.checkout.test_guest_checkout" name="test_mail[chromium]" time="0.01">
  <properties><property name="shopflow_nodeid" value="suites/checkout/test_guest_checkout.py::test_mail[chromium]"/></properties>
  <skipped type="pytest.skip" message="not verified on rehearsal: needs mailbox (the emails the shop sent)">skip</skipped>
</testcase>
<testcase classname="suites.payments.test_payments_api" name="test_refund" time="0.01">
  <properties><property name="shopflow_nodeid" value="suites/payments/test_payments_api.py::test_refund"/></properties>
  <skipped type="pytest.skip" message="refused on production: payments">skip</skipped>
</testcase>
<testcase classname="suites.payments.test_payments_api" name="test_amount" time="0.5"/>
</testsuite></testsuites>
"""


def test_tests_skipped_for_a_missing_capability_are_listed_as_not_verified(tmp_path: Path) -> None:
    path = tmp_path / "junit-areas.xml"
    path.write_text(NEEDS_JUNIT)
    not_verified = gs.not_verified_of(gs.parse_junit(path))
    assert not_verified == {
        "mailbox": [
            "suites/payments/test_payments_api.py::test_email",
            "suites/checkout/test_guest_checkout.py::test_mail",
        ]
    }, "a policy refusal is not a missing capability; parameters fold into one name"
    record = gs.GateRecord(
        verdict="passed",
        exit_code=0,
        reason="",
        environment={"name": "rehearsal", "urls": {}},
        version={},
        started_at="",
        finished_at="",
        duration_s=1.0,
        run_dir=str(tmp_path),
        report=None,
        not_verified=not_verified,
    )
    text = gs.render_summary(record)
    assert "### Not verified on this environment" in text
    assert "- **mailbox** (" in text and "`suites/checkout/test_guest_checkout.py::test_mail`" in text
    assert json.loads(gs.write_gate_json(record, tmp_path).read_text())["not_verified"] == not_verified
    assert gs.not_verified_line(not_verified) == "not verified on this environment: mailbox (2 tests: test_email, test_mail)"
    assert gs.not_verified_line({}) == ""


def test_summary_md_has_the_pages_and_the_regression_against_the_last_green_run(tmp_path: Path, junit: Path) -> None:
    from shopflow_qa.core.page_budgets import PageVisit, record

    record(tmp_path, [PageVisit("/checkout", "u", {"ttfb_ms": 2531.0}), PageVisit("/checkout", "u", {"ttfb_ms": 31.0})], "gw0")
    gate = _record(tmp_path, junit)
    gate.load = {
        **(gate.load or {}),
        "summary": "load/summary.json",
        "regression": {
            "status": "regressed",
            "against": "20261127T170000Z-staging-gate/load",
            "message": "performance regression against 20261127T170000Z-staging-gate/load: GET /api/products: p50 160.0 ms vs 4.0 ms (40.0×)",
            "changes": [
                {"endpoint": "GET /api/products", "metric": "p50_ms", "baseline": 4.0, "today": 160.0, "regressed": True}
            ],
        },
    }
    text = gs.render_summary(gate)
    assert "### Pages" in text and "| `/checkout` | desktop | 2 | 1281 ms / 2531 ms |" in text
    assert "❌ performance regression against 20261127T170000Z-staging-gate/load: GET /api/products: p50 160.0 ms" in text
    assert "| GET /api/products | p50_ms | 4.0 | 160.0 |" in text and "(load/regression.png)" in text
