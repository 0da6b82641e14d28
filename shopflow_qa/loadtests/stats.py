"""Locust's statistics in shopflow_qa/core/slo.py's plain RunStats shape, and the flow checks,
requests per worker and arrivals that workers report to their master."""

from __future__ import annotations

from typing import Any

from shopflow_qa.core.arrivals import ArrivalSchedule
from shopflow_qa.core.generator_health import GeneratorFigures

PERCENTILES = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
_checks = {"passed": 0, "failed": 0, "checkouts": 0}
_problems: dict[str, int] = {}  # why checks failed (first lines, e.g. a broken invariant) and how often
MAX_PROBLEMS = 10  # distinct reasons kept: a run that fails the same way 1000 times says it once, with its count
_per_worker: dict[str, int] = {}  # on the master: requests each worker reported
_arrivals_total = {"scheduled": 0, "started": 0, "dropped": 0}  # on the master: the workers' arrivals
_busy_s = [0.0]  # user-seconds inside flows: this process's since its last report (a worker) or in all (master, local)
_my_cpu: list[float] = []  # this process's CPU samples (a worker: since its last report)
_cpu_by_process: dict[str, list[float]] = {}  # on the master: each worker's CPU samples
_scheduled_by_worker: dict[str, int] = {}  # on the master: each worker's own schedule (its share of the rate)
_reported_arrivals = {"started": 0, "dropped": 0}  # on a worker: what it already reported


def record_check(passed: bool, checkout: bool = False, problem: str = "") -> None:
    """Count one flow iteration: all its checks passed or not (and whether it placed an order);
    `problem`: why it failed, when that is worth telling the reader (it reaches the master and
    the verdict lines, whichever process saw it)."""
    _checks["passed" if passed else "failed"] += 1
    if checkout:
        _checks["checkouts"] += 1
    if problem:
        _add_problems({problem: 1})


def _add_problems(counts: dict[str, int]) -> None:
    for problem, count in counts.items():
        if problem in _problems or len(_problems) < MAX_PROBLEMS:
            _problems[problem] = _problems.get(problem, 0) + int(count)


def check_problems() -> dict[str, int]:
    """Why checks failed, most frequent first (this process's, and on a master its workers')."""
    return dict(sorted(_problems.items(), key=lambda item: -item[1]))


def record_busy(seconds: float) -> None:
    """A user spent `seconds` inside one flow (the generator's health judges the users' idleness by it)."""
    _busy_s[0] += seconds


def record_cpu(percent: float) -> None:
    _my_cpu.append(percent)


def generator_figures(own_name: str, users: int, run_s: float, arrivals: dict[str, int] | None) -> GeneratorFigures:
    """This process's samples (named `own_name`) and, on a master, its workers'."""
    return GeneratorFigures(
        cpu_percent={own_name: list(_my_cpu), **{k: list(v) for k, v in _cpu_by_process.items()}},
        users=users,
        busy_user_s=_busy_s[0],
        run_s=run_s,
        scheduled=int((arrivals or {}).get("scheduled", 0)),
        dropped=int((arrivals or {}).get("dropped", 0)),
    )


def _endpoint(entry: Any) -> dict[str, Any]:
    return {
        "count": entry.num_requests,
        "failures": entry.num_failures,
        "percentiles_ms": {k: float(entry.get_response_time_percentile(q) or 0) for k, q in PERCENTILES.items()}
        if entry.num_requests
        else {},
        "rps": float(entry.total_rps),
    }


def stats_snapshot(environment: Any) -> dict[str, Any]:
    """Locust's statistics in shopflow_qa/core/slo.py's RunStats shape (plus what summary.json shows)."""
    stats = environment.stats
    return {
        "endpoints": {f"{e.method} {e.name}": _endpoint(e) for e in stats.entries.values()},
        "total": _endpoint(stats.total),
        "checks": {**_checks, "problems": check_problems()},
        "errors": [
            {"endpoint": f"{e.method} {e.name}", "error": str(e.error)[:200], "count": e.occurrences}
            for e in stats.errors.values()
        ],
    }


def arrival_counts(arrivals: ArrivalSchedule) -> dict[str, int]:
    return {"scheduled": arrivals.total_slots, "started": arrivals.started, "dropped": arrivals.dropped}


def report(data: dict[str, Any], worker: str, arrivals: ArrivalSchedule | None) -> None:
    """A worker's report to its master: checks, requests and arrivals since the last one."""
    data["shopflow_checks"] = dict(_checks)
    for key in _checks:
        _checks[key] = 0
    data["shopflow_check_problems"] = check_problems()
    _problems.clear()
    data["shopflow_worker"] = worker  # its requests: Locust's own `stats_total` of the same report
    data["shopflow_cpu"], _my_cpu[:] = list(_my_cpu), []
    data["shopflow_busy_s"], _busy_s[0] = _busy_s[0], 0.0
    if arrivals is not None:  # deltas since the last report, like Locust's own stats
        counts = arrival_counts(arrivals)
        data["shopflow_arrivals"] = {k: counts[k] - _reported_arrivals[k] for k in _reported_arrivals}
        data["shopflow_arrivals"]["scheduled"] = counts["scheduled"]
        _reported_arrivals.update({k: counts[k] for k in _reported_arrivals})


def merge(data: dict[str, Any]) -> None:
    """On the master: add one worker's report."""
    for key, value in (data.get("shopflow_checks") or {}).items():
        _checks[key] = _checks.get(key, 0) + int(value)
    _add_problems(data.get("shopflow_check_problems") or {})
    if data.get("shopflow_worker"):
        name = str(data["shopflow_worker"])
        _cpu_by_process.setdefault(name, []).extend(float(c) for c in data.get("shopflow_cpu") or [])
        _busy_s[0] += float(data.get("shopflow_busy_s") or 0.0)
        count = int((data.get("stats_total") or {}).get("num_requests", 0))
        _per_worker[name] = _per_worker.get(name, 0) + count
    arrivals = data.get("shopflow_arrivals") or {}
    for key in ("started", "dropped"):
        _arrivals_total[key] += int(arrivals.get(key, 0))
    if arrivals:  # each worker schedules its share of the rate: the run's slots are their sum
        _scheduled_by_worker[str(data.get("shopflow_worker") or "")] = int(arrivals.get("scheduled", 0))
        _arrivals_total["scheduled"] = sum(_scheduled_by_worker.values())


def per_worker() -> dict[str, int]:
    return dict(sorted(_per_worker.items()))


def merged_arrivals() -> dict[str, int]:
    return dict(_arrivals_total)
