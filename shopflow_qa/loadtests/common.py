"""What every ShopFlow load profile shares on the Locust side (imported only by Locust processes).

The parent (`shopflow-qa load`, shopflow_qa/cli/load_run.py) passes the run through environment
variables: `SHOPFLOW_LOAD_TOKEN` (never written to a file), `SHOPFLOW_RUN_ID` (the test-run
tag on every request), `SHOPFLOW_LOAD_STATS` (where to dump the statistics as JSON for
shopflow_qa/core/slo.py), `SHOPFLOW_LOAD_MAX_REQUESTS` (a bound on the request count). The flows
are shopflow_qa/core/flows.py's, run over Locust's FastHttpSession unchanged.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, cast

import gevent
from locust import FastHttpUser, events
from locust.runners import MasterRunner, WorkerRunner

from shopflow_qa.core import slo
from shopflow_qa.core.abort import BreachWatch
from shopflow_qa.core.arrivals import ArrivalSchedule
from shopflow_qa.core.customers import CustomerFactory
from shopflow_qa.core.environment import ConfigError, load_production_targets
from shopflow_qa.core.flows import FlowError, Shop, Transport
from shopflow_qa.core.hosts import display

RUN_ID = os.environ.get("SHOPFLOW_RUN_ID", "load-local")
PERCENTILES = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
_checks = {"passed": 0, "failed": 0, "checkouts": 0}
_RATE = float(os.environ.get("SHOPFLOW_LOAD_RATE", "0") or 0)
ARRIVALS = ArrivalSchedule(_RATE, float(os.environ.get("SHOPFLOW_LOAD_DURATION_S", "60"))) if _RATE > 0 else None


def record_check(passed: bool, checkout: bool = False) -> None:
    """Count one flow iteration: all its checks passed or not (and whether it placed an order)."""
    _checks["passed" if passed else "failed"] += 1
    if checkout:
        _checks["checkouts"] += 1


class ShopFlowUser(FastHttpUser):
    """Abstract base: the service token and the run's tag on every request; `self.shop` runs the flows."""

    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        headers = {"Authorization": f"Bearer {os.environ.get('SHOPFLOW_LOAD_TOKEN', '')}", "X-ShopFlow-Test-Run": RUN_ID}
        self.shop = Shop(
            cast(Transport, self.client), headers=headers
        )  # FastHttpSession.request(method, path, json=, headers=, name=)
        worker = os.environ.get("SHOPFLOW_LOAD_WORKER", "w0")
        self.customers = CustomerFactory(RUN_ID, worker_id=f"{worker}u{id(self) % 100000}")
        if ARRIVALS is not None:  # the open model: every task waits for its arrival slot
            self.wait_time = self._arrival_wait  # type: ignore[method-assign]  # Locust's documented per-user override
            gevent.sleep(self._arrival_wait())

    def _arrival_wait(self) -> float:
        assert ARRIVALS is not None
        slot = ARRIVALS.claim(time.time())
        if slot is None:  # schedule over: idle until the run time ends
            return 3600.0
        return max(0.0, slot - time.time())

    def run_flow(self, flow: Any, checkout: bool = False) -> Any:
        """Run one flow; a FlowError fails its check (the request itself is already counted by Locust)."""
        try:
            result = flow()
        except FlowError:
            record_check(False)
            return None
        record_check(True, checkout)
        return result


# ---- statistics out, bounds in --------------------------------------------------------------


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
        "checks": dict(_checks),
        "errors": [
            {"endpoint": f"{e.method} {e.name}", "error": str(e.error)[:200], "count": e.occurrences}
            for e in stats.errors.values()
        ],
    }


_arrivals_total = {"scheduled": 0, "started": 0, "dropped": 0}
_my_requests = [0]  # this worker's requests since its last report to the master
_per_worker: dict[str, int] = {}  # on the master: requests each worker reported


@events.request.add_listener
def _count_request(**_: Any) -> None:
    _my_requests[0] += 1


_reported_arrivals = {"started": 0, "dropped": 0}


def _arrival_counts() -> dict[str, int]:
    if ARRIVALS is None:
        return {}
    return {"scheduled": ARRIVALS.total_slots, "started": ARRIVALS.started, "dropped": ARRIVALS.dropped}


@events.report_to_master.add_listener
def _report_checks(client_id: str, data: dict[str, Any]) -> None:
    data["shopflow_checks"] = dict(_checks)
    for key in _checks:
        _checks[key] = 0
    data["shopflow_worker"] = [os.environ.get("SHOPFLOW_LOAD_WORKER", client_id), _my_requests[0]]
    _my_requests[0] = 0
    if ARRIVALS is not None:  # deltas since the last report, like Locust's own stats
        counts = _arrival_counts()
        data["shopflow_arrivals"] = {k: counts[k] - _reported_arrivals[k] for k in _reported_arrivals}
        data["shopflow_arrivals"]["scheduled"] = counts["scheduled"]
        _reported_arrivals.update({k: counts[k] for k in _reported_arrivals})


@events.worker_report.add_listener
def _merge_checks(client_id: str, data: dict[str, Any]) -> None:
    for key, value in (data.get("shopflow_checks") or {}).items():
        _checks[key] = _checks.get(key, 0) + int(value)
    if data.get("shopflow_worker"):
        name, count = data["shopflow_worker"]
        _per_worker[name] = _per_worker.get(name, 0) + int(count)
    arrivals = data.get("shopflow_arrivals") or {}
    for key in ("started", "dropped"):
        _arrivals_total[key] += int(arrivals.get(key, 0))
    if arrivals:
        _arrivals_total["scheduled"] = max(_arrivals_total["scheduled"], int(arrivals.get("scheduled", 0)))


def _watch(environment: Any, max_requests: int, watch: BreachWatch | None) -> None:
    """Stop the run once it made `max_requests` requests, or (`--abort-on-breach`) on a sustained breach."""
    started = time.monotonic()
    while True:
        gevent.sleep(1.0)
        if max_requests and environment.stats.total.num_requests >= max_requests:
            print(f"shopflow: request bound {max_requests} reached; stopping", flush=True)
            environment.runner.quit()
            return
        if watch is None or not environment.stats.total.num_requests:
            continue
        breach = watch.check(time.monotonic() - started, slo.RunStats.from_dict(stats_snapshot(environment)))
        if breach:
            print(
                f"shopflow: aborting at {breach['aborted_at_s']} s: {breach['name']} = {breach['measured']} "
                f"(limit {breach['op']} {breach['limit']:g}) since {breach['breached_since_s']} s",
                flush=True,
            )
            Path(os.environ["SHOPFLOW_LOAD_ABORT_FILE"]).write_text(json.dumps(breach) + "\n")
            environment.runner.quit()
            return


@events.init.add_listener
def _refuse_production(environment: Any, **_: Any) -> None:
    """A plain `locust -f loadtests/… -H URL` runs without `shopflow-qa load`'s checks: refuse
    a host that reaches production here too (exit 2, before a user starts)."""
    hosts = {environment.host, *(getattr(user, "host", None) for user in environment.user_classes or ())}
    try:
        production = load_production_targets()
    except ConfigError as error:
        logging.error("shopflow: %s", error)
        sys.exit(2)
    for host in sorted(h for h in hosts if h):
        why = production.match(host)
        if why:
            logging.error("shopflow: refused: load writes data and the host %s reaches %s", display(host), why)
            sys.exit(2)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    max_requests = int(os.environ.get("SHOPFLOW_LOAD_MAX_REQUESTS", "0") or 0)
    abort = os.environ.get("SHOPFLOW_LOAD_ABORT")
    watch = BreachWatch.from_dict(json.loads(abort)) if abort else None
    gevent.spawn(_watch, environment, max_requests, watch)
    environment.shopflow_started = time.time()


@events.quitting.add_listener
def _dump(environment: Any, **_: Any) -> None:
    target = os.environ.get("SHOPFLOW_LOAD_STATS")
    if not target or isinstance(environment.runner, WorkerRunner):
        return
    snapshot = stats_snapshot(environment)
    if ARRIVALS is not None:
        ARRIVALS.finish(time.time())
    if isinstance(environment.runner, MasterRunner):
        snapshot["requests_per_worker"] = dict(sorted(_per_worker.items()))
        snapshot["arrivals"] = dict(_arrivals_total) if _RATE > 0 else None
    elif ARRIVALS is not None:
        snapshot["arrivals"] = _arrival_counts()
    Path(target).write_text(json.dumps(snapshot, indent=2) + "\n")
