"""The load step's SLOs as test cases: one per threshold, in JUnit XML and in Allure.

A CI system that reads JUnit, or a reader of the Allure report, learns that p95 of pay
breached the same way it learns that a journey failed: a failed test case named after the
threshold, with the measured value and the limit. One more case, "load run <profile>",
carries Locust's HTML report and the latency plot as attachments. Written from the typed
summary (core/load_summary.py) by the gate; never a secret (names, figures and limits only).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from shopflow_qa.core.load_summary import LoadSummary, ThresholdResult

JUNIT_FILE = "junit-load.xml"
SUITE = "load"
# Files of the load folder attached to the load run's case: (file, title, MIME type).
LOAD_ATTACHMENTS = (("locust.html", "Locust report", "text/html"), ("latency.png", "Latency and throughput", "image/png"))


def case_name(threshold: ThresholdResult) -> str:
    return f"SLO {threshold.name} {threshold.limit_text}"


def failure_message(threshold: ThresholdResult) -> str:
    return f"SLO breached: {threshold.name} measured {threshold.measured_text}, limit {threshold.limit_text}"


def _classname(summary: LoadSummary) -> str:
    return f"load.{summary.profile}"


def write_junit(summary: LoadSummary, target: Path) -> Path:
    """`target` (a JUnit XML file): one testcase per threshold, a failure for each breach."""
    failures = sum(not t.passed for t in summary.thresholds)
    suite = ET.Element(
        "testsuite",
        name=SUITE,
        tests=str(len(summary.thresholds)),
        failures=str(failures),
        errors="0",
        skipped="0",
        time=f"{summary.duration_s:.3f}",
    )
    for threshold in summary.thresholds:
        case = ET.SubElement(suite, "testcase", classname=_classname(summary), name=case_name(threshold), time="0")
        properties = ET.SubElement(case, "properties")
        for name, value in (("limit", threshold.limit_text), ("measured", threshold.measured_text)):
            ET.SubElement(properties, "property", name=name, value=value)
        if not threshold.passed:
            failure = ET.SubElement(case, "failure", message=failure_message(threshold), type="SLOBreached")
            failure.text = failure_message(threshold)
    root = ET.Element("testsuites", name="shopflow-qa load")
    root.append(suite)
    ET.ElementTree(root).write(target, encoding="utf-8", xml_declaration=True)
    return target


def _result(
    name: str, full_name: str, status: str, message: str, labels: Sequence[tuple[str, str]], started_ms: int, stopped_ms: int
) -> dict[str, object]:
    digest = hashlib.md5(full_name.encode(), usedforsecurity=False).hexdigest()  # an id, as allure-pytest makes them
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": digest,
        "testCaseId": digest,
        "fullName": full_name,
        "name": name,
        "status": status,
        "statusDetails": {"message": message} if message else {},
        "stage": "finished",
        "start": started_ms,
        "stop": stopped_ms,
        "labels": [{"name": k, "value": v} for k, v in labels if v],
        "parameters": [],
        "attachments": [],
        "steps": [],
    }


def write_allure(summary: LoadSummary, load_dir: Path, results: Path, environment: str, version: str = "") -> list[Path]:
    """One Allure result per threshold and one for the load run (Locust's report and the
    latency plot attached) into `results`; returns the files written."""
    results.mkdir(parents=True, exist_ok=True)
    stopped = int(time.time() * 1000)
    started = stopped - int(summary.duration_s * 1000)
    labels = [
        ("feature", "Load"),
        ("parentSuite", "Load"),
        ("suite", f"Load profile {summary.profile}"),
        ("severity", "critical"),
        ("environment", environment),
        ("version", version or summary.version or ""),
        ("framework", "locust"),
    ]
    written: list[Path] = []
    for threshold in summary.thresholds:
        result = _result(
            case_name(threshold),
            f"{_classname(summary)}.{threshold.name}",
            "passed" if threshold.passed else "failed",
            "" if threshold.passed else failure_message(threshold),
            [*labels, ("story", f"SLO {threshold.metric}")],
            started,
            stopped,
        )
        result["parameters"] = [
            {"name": "limit", "value": threshold.limit_text},
            {"name": "measured", "value": threshold.measured_text},
        ]
        written.append(_write(results, result))
    breached = [t.name for t in summary.thresholds if not t.passed]
    run = _result(
        f"load run {summary.profile}",
        f"{_classname(summary)}.run",
        "passed" if summary.exit_code == 0 else "failed",
        f"SLO breached: {', '.join(breached)}" if breached else ("" if summary.exit_code == 0 else f"verdict {summary.verdict}"),
        [*labels, ("story", "Load run")],
        started,
        stopped,
    )
    run["parameters"] = [
        {"name": "users", "value": str(summary.users)},
        {"name": "duration", "value": f"{summary.duration_s:g} s"},
        {"name": "requests", "value": str(summary.total.count)},
        {"name": "failures", "value": str(summary.total.failures)},
    ]
    attachments: list[dict[str, str]] = []
    for file_name, title, mime in LOAD_ATTACHMENTS:
        source = load_dir / file_name
        if source.is_file():
            target = f"{uuid.uuid4()}-attachment{source.suffix}"
            shutil.copyfile(source, results / target)
            attachments.append({"name": title, "source": target, "type": mime})
    run["attachments"] = attachments
    written.append(_write(results, run))
    return written


def _write(results: Path, result: dict[str, object]) -> Path:
    path = results / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, indent=1))
    return path
