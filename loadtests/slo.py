"""SLO thresholds of a load run: read from data/slos.toml, evaluated over plain statistics.

Why a plain module: Locust has no per-endpoint percentile thresholds, so we ship them, and
they must be unit-tested in a pytest process where Locust may never be imported. The Locust
side (loadtests/common.py) dumps its statistics as the plain `RunStats` shape below; this
module only compares numbers.

Schema (data/slos.toml), per environment, with per-profile overrides:

    [local.load]                      # every profile on `local`
    error_rate = 0.01                 # failed requests / all requests (<=)
    checks_pass_rate = 0.99           # flow iterations whose checks all passed (>=)
    min_rps = 1                       # whole-run throughput (>=)
    [local.load.p95_ms]               # by "METHOD name" as Locust groups it (<=)
    "GET /api/products" = 400
    [local.load.p99_ms]
    ...
    [local.load.profiles.checkout_flow]     # overrides for one profile (same keys)

A per-endpoint latency threshold for an endpoint the profile never called is left out (a
browse run has no orders); `min_rps` and `checks_pass_rate` catch a run that did nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixtures.environment import ConfigError

SLO_FILE = Path(__file__).resolve().parents[1] / "data" / "slos.toml"
PERCENTILE_KEYS = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
SCALAR_KEYS = {"error_rate": "<=", "checks_pass_rate": ">=", "min_rps": ">="}
KNOWN_KEYS = set(PERCENTILE_KEYS) | set(SCALAR_KEYS) | {"profiles"}


@dataclass(frozen=True)
class Threshold:
    """One limit: `metric` over `endpoint` ("" = the whole run), compared with `op`."""

    metric: str
    limit: float
    op: str  # "<=" or ">="
    endpoint: str = ""

    @property
    def name(self) -> str:
        return f"{self.metric}[{self.endpoint}]" if self.endpoint else self.metric


@dataclass
class EndpointStats:
    """What Locust measured for one "METHOD name" (or the aggregate)."""

    count: int = 0
    failures: int = 0
    percentiles_ms: dict[str, float] = field(default_factory=dict)  # "p95_ms" → value
    rps: float = 0.0


@dataclass
class RunStats:
    """A load run's numbers, as the Locust side dumps them (no Locust types)."""

    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    total: EndpointStats = field(default_factory=EndpointStats)
    checks_passed: int = 0
    checks_failed: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunStats:
        def one(item: Mapping[str, Any]) -> EndpointStats:
            return EndpointStats(int(item.get("count", 0)), int(item.get("failures", 0)),
                                 {k: float(v) for k, v in (item.get("percentiles_ms") or {}).items()},
                                 float(item.get("rps", 0.0)))

        checks = data.get("checks") or {}
        return cls({k: one(v) for k, v in (data.get("endpoints") or {}).items()}, one(data.get("total") or {}),
                   int(checks.get("passed", 0)), int(checks.get("failed", 0)))


@dataclass(frozen=True)
class Verdict:
    """A threshold with what was measured; `measured` None means no data."""

    threshold: Threshold
    measured: float | None
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        """The row summary.json lists under `thresholds` (harness/gate_summary.py reads it)."""
        t = self.threshold
        return {"name": t.name, "metric": t.metric, "endpoint": t.endpoint, "op": t.op, "limit": t.limit,
                "measured": None if self.measured is None else round(self.measured, 4), "passed": self.passed}


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{where}: expected a non-negative number, got {value!r}")
    return float(value)


def _thresholds_of(table: Mapping[str, Any], where: str) -> dict[str, Threshold]:
    found: dict[str, Threshold] = {}
    for key, value in table.items():
        if key == "profiles":
            continue
        if key in SCALAR_KEYS:
            found[key] = Threshold(key, _number(f"{where}.{key}", value), SCALAR_KEYS[key])
        elif key in PERCENTILE_KEYS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}.{key}: expected a table of request name = milliseconds")
            for endpoint, limit in value.items():
                t = Threshold(key, _number(f"{where}.{key}.{endpoint}", limit), "<=", endpoint)
                found[t.name] = t
        else:
            raise ConfigError(f"{where}: unknown SLO key '{key}' (known: {', '.join(sorted(KNOWN_KEYS))})")
    return found


def read_slo_file(path: Path = SLO_FILE) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise ConfigError(f"--slos: cannot read {path} ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--slos: {path} is not valid TOML ({error})") from None


def thresholds_for(environment: str, profile: str, path: Path = SLO_FILE) -> list[Threshold]:
    """The environment's load thresholds with the profile's overrides on top ([] when none)."""
    load = read_slo_file(path).get(environment, {}).get("load", {})
    if not isinstance(load, Mapping):
        raise ConfigError(f"{path}: [{environment}.load] must be a table")
    merged = _thresholds_of(load, f"{environment}.load")
    override = (load.get("profiles") or {}).get(profile, {})
    merged.update(_thresholds_of(override, f"{environment}.load.profiles.{profile}"))
    return list(merged.values())


def slo_environment(name: str, is_local_stack: bool, path: Path = SLO_FILE) -> str:
    """Whose thresholds apply: the environment's own, else `local`'s for any local stack
    (`shopflow-qa stack up --name N` names its environment N)."""
    document = read_slo_file(path)
    if name in document or not is_local_stack:
        return name
    return "local"


def _measure(threshold: Threshold, stats: RunStats) -> float | None:
    if threshold.metric == "error_rate":
        return stats.total.failures / stats.total.count if stats.total.count else None
    if threshold.metric == "checks_pass_rate":
        done = stats.checks_passed + stats.checks_failed
        return stats.checks_passed / done if done else 0.0
    if threshold.metric == "min_rps":
        return stats.total.rps
    endpoint = stats.endpoints.get(threshold.endpoint)
    if endpoint is None or endpoint.count == 0:
        return None
    return endpoint.percentiles_ms.get(threshold.metric)


def evaluate(thresholds: Iterable[Threshold], stats: RunStats) -> list[Verdict]:
    """Each threshold's verdict. Latency limits of endpoints never called are left out; a run
    with no requests at all fails its error rate (nothing measured is not a pass)."""
    verdicts = []
    for threshold in thresholds:
        measured = _measure(threshold, stats)
        if measured is None:
            if threshold.endpoint:
                continue
            verdicts.append(Verdict(threshold, None, False))
            continue
        ok = measured <= threshold.limit if threshold.op == "<=" else measured >= threshold.limit
        verdicts.append(Verdict(threshold, measured, ok))
    return verdicts


def parse_override(text: str) -> Threshold:
    """`--slo 'p95_ms[GET /api/products]=50'` or `--slo error_rate=0` on the command line."""
    key, sep, value = text.partition("=")
    try:
        limit = float(value)
    except ValueError:
        limit = -1.0
    if not sep or limit < 0:
        raise ConfigError(f"--slo: expected METRIC[ENDPOINT]=NUMBER, got {text!r}")
    metric, _, endpoint = key.strip().partition("[")
    endpoint = endpoint.rstrip("]").strip()
    if metric in SCALAR_KEYS and not endpoint:
        return Threshold(metric, limit, SCALAR_KEYS[metric])
    if metric in PERCENTILE_KEYS and endpoint:
        return Threshold(metric, limit, "<=", endpoint)
    raise ConfigError(f"--slo: unknown threshold {key!r} (e.g. error_rate=0.01 or 'p95_ms[GET /api/products]=400')")


def with_overrides(thresholds: list[Threshold], overrides: Iterable[Threshold]) -> list[Threshold]:
    merged = {t.name: t for t in thresholds}
    merged.update({t.name: t for t in overrides})
    return list(merged.values())


def table(verdicts: list[Verdict]) -> str:
    """The verdicts as aligned text lines for the screen: threshold, limit, measured, result."""
    rows = [("threshold", "limit", "measured", "result")]
    for v in verdicts:
        measured = "no data" if v.measured is None else f"{v.measured:.4g}"
        rows.append((v.threshold.name, f"{v.threshold.op} {v.threshold.limit:g}", measured, "ok" if v.passed else "BREACHED"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def as_rows(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    return [v.as_dict() for v in verdicts]

