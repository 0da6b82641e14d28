"""What every ShopFlow load profile shares on the Locust side (imported only by Locust processes).

The parent (`shopflow-qa load`, harness/load_run.py) passes the run through environment
variables: `SHOPFLOW_LOAD_TOKEN` (never written to a file), `SHOPFLOW_RUN_ID` (the test-run
tag on every request), `SHOPFLOW_LOAD_STATS` (where to dump the statistics as JSON for
loadtests/slo.py), `SHOPFLOW_LOAD_MAX_REQUESTS` (a bound on the request count). The flows
are fixtures/flows.py's, run over Locust's FastHttpSession unchanged.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, events
from locust.runners import MasterRunner, WorkerRunner

from fixtures.customers import CustomerFactory
from fixtures.flows import FlowError, Shop

RUN_ID = os.environ.get("SHOPFLOW_RUN_ID", "load-local")
PERCENTILES = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
_checks = {"passed": 0, "failed": 0, "checkouts": 0}


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
        self.shop = Shop(self.client, headers=headers)
        worker = os.environ.get("SHOPFLOW_LOAD_WORKER", "w0")
        self.customers = CustomerFactory(RUN_ID, worker_id=f"{worker}u{id(self) % 100000}")

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
    return {"count": entry.num_requests, "failures": entry.num_failures,
            "percentiles_ms": {k: float(entry.get_response_time_percentile(q) or 0) for k, q in PERCENTILES.items()}
            if entry.num_requests else {}, "rps": float(entry.total_rps)}


def stats_snapshot(environment: Any) -> dict[str, Any]:
    """Locust's statistics in loadtests/slo.py's RunStats shape (plus what summary.json shows)."""
    stats = environment.stats
    return {
        "endpoints": {f"{e.method} {e.name}": _endpoint(e) for e in stats.entries.values()},
        "total": _endpoint(stats.total),
        "checks": dict(_checks),
        "errors": [{"endpoint": f"{e.method} {e.name}", "error": str(e.error)[:200], "count": e.occurrences}
                   for e in stats.errors.values()],
    }


@events.report_to_master.add_listener
def _report_checks(client_id: str, data: dict[str, Any]) -> None:
    data["shopflow_checks"] = dict(_checks)
    for key in _checks:
        _checks[key] = 0


@events.worker_report.add_listener
def _merge_checks(client_id: str, data: dict[str, Any]) -> None:
    for key, value in (data.get("shopflow_checks") or {}).items():
        _checks[key] = _checks.get(key, 0) + int(value)


def _watch(environment: Any, max_requests: int) -> None:
    """Stop the run once it made `max_requests` requests (a bound besides the run time)."""
    while True:
        gevent.sleep(0.5)
        if max_requests and environment.stats.total.num_requests >= max_requests:
            print(f"shopflow: request bound {max_requests} reached; stopping", flush=True)
            environment.runner.quit()
            return


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    max_requests = int(os.environ.get("SHOPFLOW_LOAD_MAX_REQUESTS", "0") or 0)
    gevent.spawn(_watch, environment, max_requests)
    environment.shopflow_started = time.time()


@events.quitting.add_listener
def _dump(environment: Any, **_: Any) -> None:
    target = os.environ.get("SHOPFLOW_LOAD_STATS")
    if not target or isinstance(environment.runner, WorkerRunner):
        return
    snapshot = stats_snapshot(environment)
    snapshot["distributed_workers"] = (environment.runner.worker_count
                                       if isinstance(environment.runner, MasterRunner) else 0)
    Path(target).write_text(json.dumps(snapshot, indent=2) + "\n")
