"""Allure inputs and outputs: analytics stripped, categories, environment properties, history hand-over."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shopflow_qa.core import allure_history, allure_report, run_dir
from shopflow_qa.core.deploy import version_matches

GENERATED_HEAD = """<!DOCTYPE html><html><head>
    <script defer src="data:text/javascript;base64,aGVsbG8="></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {"report": "awesome"});
    </script>
    <script async>
      window.allureReportData = window.allureReportData || {};
      function d(name, value){ window.allureReportData[name] = value; }
    </script>
</head><body><div id="app"></div></body></html>"""


def test_strip_analytics_removes_the_tag_manager_and_its_setup_only() -> None:
    html = allure_report.strip_analytics(GENERATED_HEAD)
    assert "googletagmanager" not in html and "gtag" not in html and "dataLayer" not in html
    assert 'src="data:text/javascript;base64,aGVsbG8="' in html, "the report's own scripts stay"
    assert "window.allureReportData" in html and '<div id="app">' in html
    assert allure_report.strip_analytics(html) == html


def _matches(rule: dict, status: str, message: str = "", trace: str = "") -> bool:
    if status not in rule["matchedStatuses"]:
        return False
    if "messageRegex" in rule and not re.fullmatch(rule["messageRegex"], message):
        return False
    if "traceRegex" in rule and not re.fullmatch(rule["traceRegex"], trace):
        return False
    return True


@pytest.mark.parametrize(
    ("status", "message", "trace", "expected"),
    [
        ("failed", "AssertionError: total: expected 1080, got 1180", "", "Product defect"),
        ("broken", "KeyError: 'price'", "", "Test defect"),
        ("broken", "httpx.ConnectError: [Errno 111] Connection refused", "", "Environment problem"),
        ("failed", "AssertionError: expected 200, got 503 Service Unavailable", "", "Environment problem"),
        ("broken", "RuntimeError: boom", "...\nhttpx.ReadTimeout: timed out\n", "Environment problem"),
        ("failed", "playwright TimeoutError: page.goto: net::ERR_CONNECTION_REFUSED", "", "Environment problem"),
    ],
)
def test_categories_sort_failures_first_match_wins(status: str, message: str, trace: str, expected: str) -> None:
    # Allure 2 uses a full match, Allure 3 a search: the rules must work as full matches.
    first = next(r for r in allure_report.CATEGORIES if _matches(r, status, message, trace))
    assert first["name"] == expected


def test_categories_and_environment_files(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    allure_report.write_categories(results)
    assert {c["name"] for c in __import__("json").loads((results / "categories.json").read_text())} == {
        "Product defect",
        "Environment problem",
        "Test defect",
    }
    (results / "environment.properties").write_text("from.plugin=kept\nversion=old\n")
    allure_report.write_environment(
        results,
        {
            "env": "staging",
            "url.api": "https://staging-api.shopflow.io",
            "version": "abc1234",
            "note": "token s3cr3t-value",
            "empty": "",
        },
        secrets=["s3cr3t-value"],
    )
    text = (results / "environment.properties").read_text()
    assert "url.api=https://staging-api.shopflow.io\n" in text and "version=abc1234\n" in text
    assert "from.plugin=kept" in text and "s3cr3t" not in text and "empty" not in text
    assert allure_report._read_properties(results / "environment.properties")["url.api"] == "https://staging-api.shopflow.io"


def test_history_comes_from_the_previous_run_of_the_same_environment(tmp_path: Path) -> None:
    environ = {run_dir.REPORTS_DIR_VARIABLE: str(tmp_path)}
    t0 = datetime(2026, 11, 28, 17, tzinfo=UTC)
    older = run_dir.create_run_dir("local", "gate", environ=environ, now=t0)
    (older / allure_history.HISTORY_FILE).write_text('{"run": "older"}\n')
    previous = run_dir.create_run_dir("local", "gate", environ=environ, now=t0 + timedelta(minutes=1))
    (previous / allure_history.HISTORY_FILE).write_text('{"run": "older"}\n{"run": "previous"}\n')
    other_env = run_dir.create_run_dir("staging", "gate", environ=environ, now=t0 + timedelta(minutes=2))
    (other_env / allure_history.HISTORY_FILE).write_text('{"run": "staging"}\n')
    current = run_dir.create_run_dir("local", "gate", environ=environ, now=t0 + timedelta(minutes=3))
    assert allure_history.carry_history(current, "local").source == previous
    assert (current / allure_history.HISTORY_FILE).read_text() == '{"run": "older"}\n{"run": "previous"}\n'
    # Rebuilding starts again from the previous run's file: nothing is appended twice.
    (current / allure_history.HISTORY_FILE).write_text("appended by a first build\n")
    allure_history.carry_history(current, "local")
    assert "appended" not in (current / allure_history.HISTORY_FILE).read_text()
    first = run_dir.create_run_dir("qa", "gate", environ=environ, now=t0 + timedelta(minutes=4))
    assert allure_history.carry_history(first, "qa").source is None and not (first / allure_history.HISTORY_FILE).exists()


def test_a_restored_history_is_carried_when_it_is_newer_than_the_local_runs(tmp_path: Path) -> None:
    environ = {run_dir.REPORTS_DIR_VARIABLE: str(tmp_path)}
    t0 = datetime(2026, 11, 28, 17, tzinfo=UTC)
    local = run_dir.create_run_dir("staging", "gate", environ=environ, now=t0)
    (local / allure_history.HISTORY_FILE).write_text('{"name": "laptop", "timestamp": 100}\n')
    current = run_dir.create_run_dir("staging", "gate", environ=environ, now=t0 + timedelta(minutes=1))
    seed = allure_history.seed_path(tmp_path, "staging")
    seed.parent.mkdir()
    seed.write_text('{"name": "ci 1", "timestamp": 150}\n{"name": "ci 2", "timestamp": 200}\n')
    assert allure_history.carry_history(current, "staging").source == seed
    assert "ci 2" in (current / allure_history.HISTORY_FILE).read_text()
    seed.write_text('{"name": "ci 0", "timestamp": 50}\n')
    assert allure_history.carry_history(current, "staging").source == local, "the laptop's own run is newer"


def test_config_is_a_plain_module_with_single_file_awesome_and_history(tmp_path: Path) -> None:
    text = allure_report.write_config(tmp_path, "ShopFlow local").read_text()
    assert "import" not in text
    assert '"singleFile": true' in text and f'"historyPath": "{tmp_path}/allure-history.jsonl"' in text
    assert '"name": "Product defect"' in text


@pytest.mark.parametrize(
    ("expected", "deployed", "match"),
    [
        ("abc1234", "abc1234def5678", True),
        ("abc1234def5678", "abc1234", True),
        ("abc1234", "abc1234", True),
        ("abc12", "abc12ff", False),
        ("abc1234", "0000000-stale", False),
        ("", "abc1234", False),
    ],
)
def test_version_matches_full_sha_or_a_shared_prefix_of_seven(expected: str, deployed: str, match: bool) -> None:
    assert version_matches(expected, deployed) is match


def test_history_is_restored_from_a_published_folder_or_from_a_run_folder_such_as_an_artifact(tmp_path: Path) -> None:
    from shopflow_qa.core import report_publish
    from shopflow_qa.core.report_store import DirStore

    site = tmp_path / "site"
    (site / "staging" / "main" / "latest").mkdir(parents=True)
    (site / "staging" / "main" / "latest" / allure_history.HISTORY_FILE).write_text('{"timestamp": 1}\n{"timestamp": 2}\n')
    reports = tmp_path / "reports"
    assert report_publish.restore_history(DirStore(site), "staging", "main", reports) == 2
    assert allure_history.seed_path(reports, "staging").read_text().count("timestamp") == 2
    assert report_publish.restore_history(DirStore(site), "staging", "feature-x", reports) == 0, "another branch: none"
    artifact_run = tmp_path / "artifact" / "20261128T170000Z-staging-gate"
    artifact_run.mkdir(parents=True)
    (artifact_run / allure_history.HISTORY_FILE).write_text('{"timestamp": 3}\n')
    assert report_publish.restore_history(DirStore(artifact_run), "staging", "main", reports) == 1
