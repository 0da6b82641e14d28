"""Performance regressions against the last green run: each endpoint's p50 / p95 / p99 and
throughput compared with the newest earlier run of the same environment and load profile that
passed on a stack without fault switches, within the tolerances of `data/slos.toml`
(`[<env>.regression]`: a relative change AND an absolute one, so noise never alarms).

Where earlier runs come from is a `BaselineSource`: `RunFolders` reads the run folders on disk
(`reports/<run>/summary.json`, a gate's `reports/<run>/load/summary.json`); a published
location (an S3 prefix, a Pages site) can feed the same interface later. Pure apart from that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from shopflow_qa.core import run_dir
from shopflow_qa.core.errors import ConfigError
from shopflow_qa.core.load_summary import EndpointStats, LoadSummary, LoadSummaryError

# metric → (direction, label): "up" = a rise is a regression (latency), "down" = a fall (throughput)
METRICS: dict[str, tuple[str, str]] = {
    "p50_ms": ("up", "p50"),
    "p95_ms": ("up", "p95"),
    "p99_ms": ("up", "p99"),
    "rps": ("down", "throughput"),
}
TOLERANCE_KEYS = ("relative", "absolute")
# Used when an environment's SLOs bring no `regression` table: wide enough for a shared CI box.
DEFAULT_TOLERANCES: dict[str, dict[str, float]] = {
    "p50_ms": {"relative": 0.5, "absolute": 25},
    "p95_ms": {"relative": 0.5, "absolute": 50},
    "p99_ms": {"relative": 0.75, "absolute": 150},
    "rps": {"relative": 0.35, "absolute": 1.0},
}
DEFAULT_MIN_REQUESTS = 20
# A percentile is compared only when each run had at least this many requests above it (p95:
# 100 requests, p99: 500): below that it is one or two slow requests, i.e. noise.
TAIL_SAMPLES = 5
QUANTILES = {"p50_ms": 0.5, "p95_ms": 0.95, "p99_ms": 0.99}
SUMMARY_NAMES = (Path("summary.json"), Path("load") / "summary.json")


def check_table(where: str, table: Any) -> None:
    """`[<env>.regression]`: `min_requests` and per metric `{relative = 0.25, absolute = 50}`."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: must be a table")
    for key, value in table.items():
        if key == "min_requests":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where}.min_requests: must be a positive whole number, got {value!r}")
            continue
        if key not in METRICS:
            raise ConfigError(f"{where}.{key}: unknown key (known: min_requests, {', '.join(METRICS)})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where}.{key}: must be a table such as {{relative = 0.25, absolute = 50}}")
        for part, number in value.items():
            if part not in TOLERANCE_KEYS:
                raise ConfigError(f"{where}.{key}.{part}: unknown key (known: {', '.join(TOLERANCE_KEYS)})")
            if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
                raise ConfigError(f"{where}.{key}.{part}: must be a number ≥ 0, got {number!r}")


@dataclass(frozen=True)
class Baseline:
    summary: LoadSummary
    where: str  # the run it came from (a folder name, or a published location)


class BaselineSource(Protocol):
    def last_green(self, environment: str, profile: str, before: str) -> Baseline | None:
        """The newest passing, fault-free run of `profile` on `environment` started before `before` (ISO time)."""
        ...


@dataclass(frozen=True)
class RunFolders:
    """Earlier runs from the run folders under `root` (`reports/`)."""

    root: Path
    exclude: Path | None = None  # the current run's folder

    def last_green(self, environment: str, profile: str, before: str) -> Baseline | None:
        for info in reversed(run_dir.list_runs(self.root, environment)):
            if info.started_at > before:
                continue
            for name in SUMMARY_NAMES:
                path = info.path / name
                if self.exclude is not None and path.parent.resolve() == self.exclude.resolve():
                    continue
                summary = _read(path)
                if summary and summary.profile == profile and summary.verdict == "passed" and not summary.faults:
                    return Baseline(summary, str(path.parent.relative_to(self.root)))
        return None


def _read(path: Path) -> LoadSummary | None:
    if not path.is_file():
        return None
    try:
        return LoadSummary.read(path)
    except LoadSummaryError:
        return None  # another schema or a broken file: not a baseline, never a crash


@dataclass(frozen=True)
class Change:
    endpoint: str
    metric: str
    baseline: float
    today: float
    regressed: bool

    def __str__(self) -> str:
        label = METRICS[self.metric][1]
        unit = " rps" if self.metric == "rps" else " ms"
        ratio = f" ({self.today / self.baseline:.1f}×)" if self.baseline else ""
        return f"{self.endpoint}: {label} {self.today:.1f}{unit} vs {self.baseline:.1f}{unit}{ratio}"


@dataclass
class Comparison:
    """The verdict of one run against its baseline; `status`: baseline | compared | regressed."""

    status: str
    against: str = ""
    message: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.regressed]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "against": self.against,
            "message": self.message,
            "changes": [asdict(c) for c in self.changes],
        }


def tolerances(tables: Mapping[str, Any]) -> tuple[dict[str, dict[str, float]], int]:
    """An environment's tolerances (`SloChoice.tables["regression"]`) over the defaults."""
    table = tables.get("regression", {})
    merged = {metric: {**DEFAULT_TOLERANCES[metric], **table.get(metric, {})} for metric in METRICS}
    return merged, int(table.get("min_requests", DEFAULT_MIN_REQUESTS))


def _regressed(metric: str, baseline: float, today: float, tolerance: Mapping[str, float]) -> bool:
    delta = today - baseline if METRICS[metric][0] == "up" else baseline - today
    return delta > tolerance["absolute"] and delta > tolerance["relative"] * baseline


def compare(today: LoadSummary, baseline: Baseline | None, tables: Mapping[str, Any]) -> Comparison:
    """Each endpoint both runs measured (enough requests in each: `min_requests`, and TAIL_SAMPLES
    above a percentile) against its tolerances; throughput only when both ran the same users for
    about the same time."""
    if baseline is None:
        return Comparison(
            "baseline",
            message=f"no earlier green run of {today.profile} on {today.environment}: this run is the baseline"
            if today.verdict == "passed"
            else f"no earlier green run of {today.profile} on {today.environment} to compare with",
        )
    limits, min_requests = tolerances(tables)
    before = baseline.summary
    same_load = before.users == today.users and abs(before.duration_s - today.duration_s) <= 0.25 * max(before.duration_s, 1)
    changes = []
    for name, stats in sorted(today.endpoints.items()):
        old: EndpointStats | None = before.endpoints.get(name)
        if old is None or min(old.count, stats.count) < min_requests:
            continue
        for metric in METRICS:
            if metric == "rps" and not same_load:
                continue
            if metric in QUANTILES and min(old.count, stats.count) * (1 - QUANTILES[metric]) < TAIL_SAMPLES - 1e-9:
                continue
            was, now = getattr(old, metric), getattr(stats, metric)
            if was is None or now is None:
                continue
            changes.append(
                Change(name, metric, float(was), float(now), _regressed(metric, float(was), float(now), limits[metric]))
            )
    comparison = Comparison("compared", baseline.where, changes=changes)
    if comparison.regressions:
        comparison.status = "regressed"
        comparison.message = f"performance regression against {baseline.where}: " + "; ".join(
            str(c) for c in comparison.regressions
        )
    else:
        comparison.message = f"no regression against {baseline.where} ({len(changes)} figures compared)"
    return comparison


def compare_with_last_green(
    today: LoadSummary, tables: Mapping[str, Any], run: Path, source: BaselineSource | None = None
) -> Comparison:
    """`today` (the run in folder `run`) against the last green run the source knows (run folders by default)."""
    info = run_dir.read_run(run)
    before = info.started_at if info else "9999"
    source = source or RunFolders(run_dir.reports_dir(), exclude=run)
    return compare(today, source.last_green(today.environment, today.profile, before), tables)
