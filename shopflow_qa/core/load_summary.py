"""The load step's summary: one typed record, written by `shopflow-qa load`, read by the gate.

`summary.json` in the load's run folder is this dataclass as JSON (schema SCHEMA). The gate
reads it back with `LoadSummary.read`: a file of another schema, or one missing a field, is
an error naming the file, never guessed at.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

SCHEMA = "shopflow-qa/load/1"
VERDICTS = ("passed", "failed", "interrupted", "error", "inconclusive")  # inconclusive: the generator was the bottleneck


class LoadSummaryError(ValueError):
    """A summary.json that is not this schema's."""


@dataclass(frozen=True)
class EndpointStats:
    """Figures of one request name (or of the whole run)."""

    count: int = 0
    failures: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    rps: float = 0.0

    @classmethod
    def from_stats(cls, item: dict[str, Any]) -> EndpointStats:
        """From a Locust statistics entry as loadtests/stats.py gives it (`percentiles_ms` nested)."""
        pct = item.get("percentiles_ms") or {}
        return cls(
            count=int(item.get("count", 0)),
            failures=int(item.get("failures", 0)),
            p50_ms=pct.get("p50_ms"),
            p95_ms=pct.get("p95_ms"),
            p99_ms=pct.get("p99_ms"),
            rps=round(float(item.get("rps", 0.0)), 3),
        )


@dataclass(frozen=True)
class ThresholdResult:
    """One SLO threshold with what was measured (`measured` None: no data)."""

    name: str
    metric: str
    endpoint: str
    op: str  # "<=" or ">="
    limit: float
    measured: float | None
    passed: bool

    @property
    def limit_text(self) -> str:
        return f"{self.op} {_number(self.limit)}"

    @property
    def measured_text(self) -> str:
        return "no data" if self.measured is None else _number(self.measured)


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.4g}"


@dataclass(frozen=True)
class LoadSummary:
    """Everything one load run reports; `verdict` is one of VERDICTS."""

    profile: str
    verdict: str
    exit_code: int
    environment: str
    api_url: str
    version: str | None
    faults: list[str]
    run_id: str
    users: int
    spawn_rate: float
    duration_s: float
    shape: str | None
    max_requests: int
    endpoints: dict[str, EndpointStats]
    total: EndpointStats
    checks: dict[str, Any]
    successful_checkouts: int
    errors: list[Any]
    thresholds: list[ThresholdResult]
    workers: int = 0
    rate: float | None = None
    arrivals: dict[str, Any] | None = None
    requests_per_worker: dict[str, int] | None = None
    aborted: dict[str, Any] | None = None
    test_data: dict[str, Any] = field(default_factory=dict)
    purged: dict[str, int] | None = None
    slos: str = ""  # whose objectives judged the run (an environment's name, or "default")
    warnings: list[str] = field(default_factory=list)  # e.g. the default SLO profile applied
    generator: dict[str, Any] | None = None  # processes, CPU peaks, busy users; `bottleneck`: why inconclusive
    regression: dict[str, Any] | None = None  # against the last green run (shopflow_qa/core/perf_baseline.py)
    schema: str = SCHEMA

    @property
    def breached(self) -> list[str]:
        return [t.name for t in self.thresholds if not t.passed]

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        for optional in ("aborted", "purged", "regression"):  # present only when they happened
            if document[optional] is None:
                del document[optional]
        return {"schema": document.pop("schema"), **document}

    def write(self, path: Path, write_whole: Any = None) -> None:
        text = json.dumps(self.to_json(), indent=2) + "\n"
        if write_whole is None:
            path.write_text(text)
        else:
            write_whole(path, text)

    @classmethod
    def from_json(cls, document: Any, source: str = "summary.json") -> LoadSummary:
        if not isinstance(document, dict) or document.get("schema") != SCHEMA:
            found = document.get("schema") if isinstance(document, dict) else type(document).__name__
            raise LoadSummaryError(f"{source}: not a load summary of schema {SCHEMA} (found {found!r})")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(document) - known)
        if unknown:
            raise LoadSummaryError(f"{source}: unknown field(s) {', '.join(unknown)} for schema {SCHEMA}")
        try:
            values = dict(document)
            values["endpoints"] = {name: EndpointStats(**item) for name, item in document["endpoints"].items()}
            values["total"] = EndpointStats(**document["total"])
            values["thresholds"] = [ThresholdResult(**item) for item in document["thresholds"]]
            summary = cls(**values)
        except (KeyError, TypeError, AttributeError) as error:
            raise LoadSummaryError(f"{source}: malformed load summary ({type(error).__name__}: {error})") from None
        if summary.verdict not in VERDICTS:
            raise LoadSummaryError(f"{source}: verdict must be one of {', '.join(VERDICTS)}, got {summary.verdict!r}")
        return summary

    @classmethod
    def read(cls, path: Path) -> LoadSummary:
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise LoadSummaryError(f"{path}: unreadable load summary ({error})") from None
        return cls.from_json(document, str(path))
