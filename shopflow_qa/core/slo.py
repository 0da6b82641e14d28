"""SLO thresholds of a load run: read from data/slos.toml, evaluated over plain statistics.

Why a plain module: Locust has no per-endpoint percentile thresholds, so we ship them, and
they must be unit-tested in a pytest process where Locust may never be imported. The Locust
side (shopflow_qa/loadtests/common.py) dumps its statistics as the plain `RunStats` shape below; this
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
An endpoint no profile ever calls (a typo: `"GET /api/product"`) is a ConfigError, never a
threshold silently left out of every run; so is a profile override for an unknown profile.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopflow_qa.core.environment import ConfigError, Environment
from shopflow_qa.core.load_summary import ThresholdResult
from shopflow_qa.core.slos import SLO_FILE, SloChoice, read_slos, slos_for

PERCENTILE_KEYS = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
SCALAR_KEYS = {"error_rate": "<=", "checks_pass_rate": ">=", "min_rps": ">="}
KNOWN_KEYS = set(PERCENTILE_KEYS) | set(SCALAR_KEYS) | {"profiles"}
# Every request name ("METHOD name", as Locust groups it) the profiles' flows emit
# (shopflow_qa/core/flows.py names them); the real load runs in tests/load check the list stays true.
REQUEST_NAMES = frozenset(
    {
        "GET /api/products",
        "GET /api/products/[id]",
        "GET /api/products/by-slug/[slug]",
        "GET /api/categories",
        "POST /api/carts",
        "POST /api/carts/[id]/lines",
        "POST /api/orders",
        "POST /api/orders/[id]/pay",
        "GET /api/orders/[id]",
    }
)


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
            return EndpointStats(
                int(item.get("count", 0)),
                int(item.get("failures", 0)),
                {k: float(v) for k, v in (item.get("percentiles_ms") or {}).items()},
                float(item.get("rps", 0.0)),
            )

        checks = data.get("checks") or {}
        return cls(
            {k: one(v) for k, v in (data.get("endpoints") or {}).items()},
            one(data.get("total") or {}),
            int(checks.get("passed", 0)),
            int(checks.get("failed", 0)),
        )


@dataclass(frozen=True)
class Verdict:
    """A threshold with what was measured; `measured` None means no data."""

    threshold: Threshold
    measured: float | None
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        """The verdict as plain data (the abort watch hands it to Locust's processes)."""
        t = self.threshold
        return {
            "name": t.name,
            "metric": t.metric,
            "endpoint": t.endpoint,
            "op": t.op,
            "limit": t.limit,
            "measured": None if self.measured is None else round(self.measured, 4),
            "passed": self.passed,
        }


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
                _check_endpoint(f"{where}.{key}", endpoint)
                t = Threshold(key, _number(f"{where}.{key}.{endpoint}", limit), "<=", endpoint)
                found[t.name] = t
        else:
            raise ConfigError(f"{where}: unknown SLO key '{key}' (known: {', '.join(sorted(KNOWN_KEYS))})")
    return found


def _check_endpoint(where: str, endpoint: str) -> None:
    if endpoint not in REQUEST_NAMES:
        raise ConfigError(f"{where}: no load profile requests {endpoint!r} (known: {', '.join(sorted(REQUEST_NAMES))})")


def read_slo_file(path: Path = SLO_FILE, profiles: Collection[str] = ()) -> dict[str, Any]:
    """The SLO file with every environment's load table checked (not only the one this run
    uses: a typo in staging's objectives is found on a laptop). `profiles`: the known profile
    names, for the `profiles.<name>` overrides (unchecked when empty)."""
    document = read_slos(Path(path))
    for environment, sections in document.items():
        load = sections.get("load", {})
        where = f"{path}: {environment}.load"
        _thresholds_of(load, where)
        overrides = load.get("profiles", {})
        if not isinstance(overrides, Mapping):
            raise ConfigError(f"{where}.profiles: must be a table of profile name = thresholds")
        for profile, table in overrides.items():
            if profiles and profile not in profiles:
                raise ConfigError(f"{where}.profiles.{profile}: unknown load profile (known: {', '.join(profiles)})")
            if not isinstance(table, Mapping):
                raise ConfigError(f"{where}.profiles.{profile}: must be a table")
            _thresholds_of(table, f"{where}.profiles.{profile}")
    return document


def thresholds_for(environment: str, profile: str, path: Path = SLO_FILE, profiles: Collection[str] = ()) -> list[Threshold]:
    """The SLO file's load thresholds of `environment` with the profile's overrides on top ([] when none)."""
    load = read_slo_file(path, profiles).get(environment, {}).get("load", {})
    return _load_thresholds(load, f"{path}: {environment}.load", profile, profiles)


def _load_thresholds(load: Mapping[str, Any], where: str, profile: str, profiles: Collection[str]) -> list[Threshold]:
    merged = _thresholds_of(load, where)
    overrides = load.get("profiles") or {}
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"{where}.profiles: must be a table of profile name = thresholds")
    unknown = sorted(set(overrides) - set(profiles)) if profiles else []
    if unknown:
        raise ConfigError(f"{where}.profiles.{unknown[0]}: unknown load profile (known: {', '.join(profiles)})")
    merged.update(_thresholds_of(overrides.get(profile, {}), f"{where}.profiles.{profile}"))
    return list(merged.values())


def environment_thresholds(
    environment: Environment, profile: str, path: Path = SLO_FILE, profiles: Collection[str] = ()
) -> tuple[list[Threshold], SloChoice]:
    """The load thresholds that judge `profile` on `environment` (shopflow_qa/core/slos.py's
    `slos_for` says whose), and that choice (its `warning` goes into the report)."""
    read_slo_file(path, profiles)  # every table of the file checked, not only the one used
    choice = slos_for(environment, Path(path))
    return _load_thresholds(choice.load, f"{choice.where}.load", profile, profiles), choice


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
        _check_endpoint("--slo", endpoint)
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
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def results(verdicts: list[Verdict]) -> list[ThresholdResult]:
    """The verdicts as the load summary's typed rows."""
    return [ThresholdResult(**v.as_dict()) for v in verdicts]
