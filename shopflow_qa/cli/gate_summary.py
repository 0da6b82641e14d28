"""From the run folder's raw results to the gate's verdict as data (`gate.json`) and as text (`summary.md`).

Pure functions over files and dicts, so they are unit-tested on sample JUnit XML and load
summaries without running a gate. The schema of `gate.json` is documented in docs/gate-json.md;
`summary.md` is written to fit a CI job summary (GitHub's `$GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shopflow_qa.cli.pytest_gate import AREA_PROPERTY, AREAS, NODEID_PROPERTY
from shopflow_qa.core import capabilities, page_budgets, run_dir
from shopflow_qa.core.load_summary import LoadSummary

SCHEMA = "shopflow-qa/gate/1"
REASON_WIDTH = 160


@dataclass
class TestOutcome:
    """One test's final result (the last attempt when it was re-run)."""

    nodeid: str
    area: str
    outcome: str  # passed | failed | error | skipped
    duration_s: float
    reason: str = ""
    attempts: int = 1


@dataclass
class AreaCounts:
    name: str
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    rerun: int = 0  # tests that needed more than one attempt
    duration_s: float = 0.0

    @property
    def status(self) -> str:
        if self.failed or self.errors:
            return "failed"
        return "passed" if self.passed else ("skipped" if self.tests else "empty")


def one_line(text: str, width: int = REASON_WIDTH) -> str:
    """The first meaningful line of a failure message, shortened to `width`."""
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("Traceback", "self =", "def ", ">")):
            return line if len(line) <= width else line[: width - 1] + "…"
    return ""


def area_from_path(nodeid: str, classname: str = "") -> str:
    """A test's area from its folder under suites/ (tests whose markers name none)."""
    parts = nodeid.replace("\\", "/").split("/") if "/" in nodeid else classname.split(".")
    for part in parts:
        if part in AREAS:
            return part
        if part == "api":
            return "contract"
    return "other"


def parse_junit(path: Path) -> list[TestOutcome]:
    """Final outcome per test from a JUnit XML file; re-run attempts fold into one result.

    pytest-rerunfailures writes one `<testcase>` per attempt with the same name; the last
    one is the verdict, the earlier ones count as attempts.
    """
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return []
    outcomes: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        classname, name = case.get("classname", ""), case.get("name", "")
        nodeid = properties.get(NODEID_PROPERTY) or (f"{classname.replace('.', '/')}.py::{name}" if classname else name)
        area = properties.get(AREA_PROPERTY) or area_from_path(properties.get(NODEID_PROPERTY, ""), classname)
        outcome, reason = "passed", ""
        for tag, kind in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            element = case.find(tag)
            if element is not None:
                outcome = kind
                reason = one_line(element.get("message") or element.text or "")
                break
        previous = outcomes.get(nodeid)
        duration = float(case.get("time") or 0)
        attempts = previous.attempts + 1 if previous else 1
        total = (previous.duration_s if previous else 0.0) + duration
        outcomes[nodeid] = TestOutcome(nodeid, area, outcome, round(total, 3), reason, attempts)
    return list(outcomes.values())


def count_areas(outcomes: Iterable[TestOutcome], order: Sequence[str] = AREAS) -> list[AreaCounts]:
    """Per-area counts in the gate's order; areas without tests are listed as empty."""
    areas = {name: AreaCounts(name) for name in order}
    for outcome in outcomes:
        counts = areas.setdefault(outcome.area or "other", AreaCounts(outcome.area or "other"))
        counts.tests += 1
        counts.duration_s = round(counts.duration_s + outcome.duration_s, 3)
        counts.rerun += outcome.attempts > 1
        if outcome.outcome == "passed":
            counts.passed += 1
        elif outcome.outcome == "failed":
            counts.failed += 1
        elif outcome.outcome == "error":
            counts.errors += 1
        else:
            counts.skipped += 1
    return list(areas.values())


# ---- load step ----------------------------------------------------------------------------


@dataclass
class SloRow:
    name: str
    limit: str
    measured: str
    passed: bool


def slo_rows(load_summary: LoadSummary) -> list[SloRow]:
    """The SLO table of gate.json and summary.md, from the load step's typed summary."""
    return [SloRow(t.name, t.limit_text, t.measured_text, t.passed) for t in load_summary.thresholds]


def find_load_summary(run: Path) -> Path | None:
    """The load step's `summary.json` in the run folder (top level or one folder down)."""
    for candidate in (run / "summary.json", run / "load" / "summary.json", *sorted(run.glob("*/summary.json"))):
        if candidate.is_file() and "allure-report" not in candidate.parts:
            return candidate
    return None


# ---- gate.json and summary.md -------------------------------------------------------------


@dataclass
class StageResult:
    name: str
    status: str  # passed | failed | skipped | error | interrupted
    duration_s: float = 0.0
    detail: str = ""


@dataclass
class GateRecord:
    """Everything `gate.json` holds; `summary.md` is rendered from it."""

    verdict: str  # passed | failed | error | refused | interrupted
    exit_code: int
    reason: str
    environment: dict[str, Any]
    version: dict[str, str | None]
    started_at: str
    finished_at: str
    duration_s: float
    run_dir: str
    report: str | None
    faults: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stages: list[StageResult] = field(default_factory=list)
    areas: list[AreaCounts] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    load: dict[str, Any] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""  # the X-ShopFlow-Test-Run tag of everything the gate's stages created
    test_data: dict[str, Any] | None = None  # the clean-up's record (shopflow_qa/core/admin_data.py, clean_up)
    # capability → tests skipped for lacking it (shopflow_qa/core/capabilities.py): what a green gate did not check
    not_verified: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {"schema": SCHEMA, **asdict(self)}
        data["areas"] = [{**asdict(a), "status": a.status} for a in self.areas]
        return data


def failures_of(outcomes: Iterable[TestOutcome]) -> list[dict[str, str]]:
    return [
        {"area": o.area, "test": o.nodeid, "outcome": o.outcome, "reason": o.reason or "(no message)"}
        for o in outcomes
        if o.outcome in ("failed", "error")
    ]


def not_verified_of(outcomes: Iterable[TestOutcome]) -> dict[str, list[str]]:
    """Tests skipped because the environment lacks a capability, by capability; a parametrised
    test is named once (without its parameters)."""
    found: dict[str, dict[str, None]] = {}
    for outcome in outcomes:
        name = capabilities.capability_of(outcome.reason) if outcome.outcome == "skipped" else None
        if name:
            found.setdefault(name, {})[outcome.nodeid.split("[", 1)[0]] = None
    return {name: list(tests) for name, tests in sorted(found.items())}


def not_verified_line(not_verified: dict[str, list[str]]) -> str:
    """One line for the console: `not verified on this environment: mailbox (2 tests: a, b)`."""
    parts = [
        f"{name} ({len(tests)} test{'s' if len(tests) > 1 else ''}: {', '.join(t.rsplit('::', 1)[-1] for t in tests)})"
        for name, tests in not_verified.items()
    ]
    return "not verified on this environment: " + "; ".join(parts) if parts else ""


def _same(text: str) -> str:
    return text


def write_gate_json(record: GateRecord, run: Path, redact: Callable[[str], str] = _same) -> Path:
    """`redact` (the environment's Redactor.text) is the last filter: reasons quote test output."""
    return run_dir.write_whole(run / "gate.json", redact(json.dumps(record.to_dict(), indent=2, ensure_ascii=False)) + "\n")


_ICONS = {"passed": "✅", "failed": "❌", "error": "⛔", "refused": "🛑", "skipped": "⏭️", "interrupted": "⏹️", "empty": "·"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_summary(record: GateRecord) -> str:
    """Markdown for a CI job summary: verdict, version, areas, failures, SLOs, where the report is."""
    env = record.environment
    icon = _ICONS.get(record.verdict, "")
    lines = [
        f"## {icon} ShopFlow gate on `{env.get('name')}`: **{record.verdict.upper()}** (exit {record.exit_code})",
        "",
    ]
    if record.reason:
        lines += [f"> {record.reason}", ""]
    deployed = record.version.get("deployed") or "unknown"
    expected = record.version.get("expected")
    lines.append(f"- Version: `{deployed}`" + (f" (expected `{expected}`)" if expected else ""))
    lines.append(
        f"- API: {env.get('urls', {}).get('api', '')} · duration {record.duration_s:.0f} s · started {record.started_at}"
    )
    if record.faults:
        lines.append(f"- ⚠️ Active fault switches reported by /health: {', '.join(f'`{f}`' for f in record.faults)}")
    lines.append(_test_data_line(record))
    for warning in record.warnings:
        lines.append(f"- ⚠️ {warning}")
    lines += ["", "| stage | result | time |", "|---|---|---|"]
    for stage in record.stages:
        detail = f" — {_cell(stage.detail)}" if stage.detail else ""
        lines.append(f"| {stage.name} | {_ICONS.get(stage.status, '')} {stage.status}{detail} | {stage.duration_s:.1f} s |")
    if any(a.tests for a in record.areas):
        lines += [
            "",
            "| area | tests | passed | failed | errors | skipped | re-run | time |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for a in record.areas:
            if a.tests or a.name in AREAS:
                lines.append(
                    f"| {_ICONS.get(a.status, '')} {a.name} | {a.tests} | {a.passed} | {a.failed} | {a.errors} "
                    f"| {a.skipped} | {a.rerun} | {a.duration_s:.1f} s |"
                )
    if record.not_verified:
        lines += ["", "### Not verified on this environment", ""]
        lines.append(f"`{env.get('name')}` lacks these capabilities (data/environments.toml); their tests were skipped:")
        lines.append("")
        for name, tests in record.not_verified.items():
            lines.append(f"- **{name}** ({capabilities.CAPABILITIES.get(name, '')}): " + ", ".join(f"`{t}`" for t in tests))
    if record.failures:
        lines += ["", f"### Failed tests ({len(record.failures)})", ""]
        for failure in record.failures[:50]:
            lines.append(f"- **{failure['area']}** `{failure['test']}` — {_cell(failure['reason'])}")
        if len(record.failures) > 50:
            lines.append(f"- … and {len(record.failures) - 50} more (see junit.xml)")
    if record.load:
        load = record.load
        lines += ["", f"### Load: `{load.get('profile')}` — {load.get('status')}", ""]
        rows = load.get("slos") or []
        if rows:
            lines += ["| SLO | limit | measured | result |", "|---|---|---|---|"]
            for row in rows:
                lines.append(
                    f"| {_cell(row['name'])} | {_cell(row['limit'])} | {_cell(row['measured'])} | {'✅ met' if row['passed'] else '❌ breached'} |"
                )
        elif load.get("detail"):
            lines.append(load["detail"])
        lines += _regression_lines(load.get("regression"), load.get("summary"))
    pages = page_budgets.summary_table(page_budgets.read_records(Path(record.run_dir)))
    if pages:
        lines += ["", "### Pages (the journeys' page timings; budgets in data/slos.toml)", "", *pages]
    lines += ["", "### Reports", ""]
    lines += _report_links(record, os.environ)
    data = ["gate.json", *(n for n in ("junit.xml", "allure-results/", "load/", "logs/") if (Path(record.run_dir) / n).exists())]
    lines.append("- Data (in the run folder): " + ", ".join(f"`{name}`" for name in data))
    return "\n".join(lines) + "\n"


def _report_links(record: GateRecord, environ: Mapping[str, str]) -> list[str]:
    """Where a reader of the summary finds the report: the run folder by name (paths inside it,
    never this machine's absolute path) and, on GitHub Actions, the CI run's artifacts (the
    workflow adds the published report's link to the job summary once it is published)."""
    name = Path(record.run_dir).name
    lines = [f"- Run folder: `{name}` (`reports/{name}/`)"]
    if record.report:
        lines.append(f"- Allure report (one file, opens offline): `{record.report}` in the run folder")
    if environ.get("GITHUB_ACTIONS") == "true" and environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        url = f"{server}/{environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{environ['GITHUB_RUN_ID']}#artifacts"
        lines.append(f"- CI artifact with the whole run folder: [{url}]({url})")
    return lines


def _regression_lines(regression: dict[str, Any] | None, summary: str | None) -> list[str]:
    """Against the last green run: its message, the regressed figures, the plot."""
    if not regression:
        return []
    icon = {"regressed": "❌", "compared": "✅", "baseline": "ℹ️"}.get(regression.get("status", ""), "")
    lines = ["", f"{icon} {_cell(regression.get('message', ''))}"]
    regressed = [c for c in regression.get("changes", []) if c.get("regressed")]
    if regressed:
        lines += ["", "| endpoint | figure | baseline | today |", "|---|---|---|---|"]
        for change in regressed:
            lines.append(
                f"| {_cell(change['endpoint'])} | {change['metric']} | {change['baseline']:.1f} | {change['today']:.1f} |"
            )
    if summary and regression.get("changes"):
        lines += ["", f"![today against the baseline]({Path(summary).parent / 'regression.png'})"]
    return lines


def _test_data_line(record: GateRecord) -> str:
    """Where the run's tagged data went: purged, or the command that purges it later."""
    data = record.test_data or {}
    status = data.get("status")
    if status == "purged":
        counts = ", ".join(f"{n} {kind}" for kind, n in (data.get("purged") or {}).items() if n) or "nothing left to delete"
        return f"- Test data: run `{record.run_id}` purged ({counts})"
    if status == "left":
        return (
            f"- ⚠️ Test data of run `{record.run_id}` may be left ({_cell(str(data.get('detail', '')))}); "
            f"purge it with `{data.get('purge_command', '')}`"
        )
    if status == "skipped":
        return f"- Test data: run `{record.run_id}` — {data.get('detail', 'nothing to purge')}"
    return f"- Test data: run `{record.run_id}` — no stage that writes data ran"


def write_summary(record: GateRecord, run: Path, redact: Callable[[str], str] = _same) -> Path:
    return run_dir.write_whole(run / "summary.md", redact(render_summary(record)))


def merge_junit(sources: Sequence[Path], target: Path) -> Path | None:
    """One `junit.xml` for CI from the per-stage files (each stage keeps its own too)."""
    suites = ET.Element("testsuites", name="shopflow-qa gate")
    for source in sources:
        try:
            root = ET.parse(source).getroot()
        except (OSError, ET.ParseError):
            continue
        for suite in root.iter("testsuite") if root.tag == "testsuites" else [root]:
            suite.set("name", source.stem.removeprefix("junit-"))
            suites.append(suite)
    if not len(suites):
        return None
    ET.ElementTree(suites).write(target, encoding="utf-8", xml_declaration=True)
    return target
