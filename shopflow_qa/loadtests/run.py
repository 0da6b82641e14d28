"""One ShopFlow load run inside Locust: planned at `init` from the `--shopflow-*` options
(refused before any request when the plan is bad or the target read-only), bounded while it
runs, judged by the environment's SLOs at `quitting` (printed, written to summary.json, and
Locust's exit code), the same way under `locust -f …` and under `shopflow-qa load`.

Imported only by Locust processes (docs/architecture.md: never into pytest).
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import locust.stats
import psutil
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from shopflow_qa.core import generator_health, load_plan, local_stack, run_dir, shapes, slo
from shopflow_qa.core.abort import BreachWatch
from shopflow_qa.core.arrivals import ArrivalSchedule
from shopflow_qa.core.environment import ConfigError
from shopflow_qa.loadtests import options as shopflow_options
from shopflow_qa.loadtests import stats
from shopflow_qa.loadtests.stats import arrival_counts, merged_arrivals, per_worker, stats_snapshot

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# --csv rewrites its files every second, every percentile of every endpoint recomputed: every 5 s
# (Locust flushes them that often anyway; the gate's heartbeat reads them every 10 s) is a fifth of it.
locust.stats.CSV_STATS_INTERVAL_SEC = 5
INCONCLUSIVE = "inconclusive"


@dataclass
class Run:
    """What this Locust process knows of the run (one per process: master, worker or local)."""

    plan: load_plan.Plan | None = None
    run_id: str = ""
    token: str = field(default="", repr=False)
    health: dict[str, Any] = field(default_factory=dict)
    summary_path: Path | None = None
    started_stack: str = ""
    arrivals: ArrivalSchedule | None = None
    aborted: dict[str, Any] | None = None
    verdict_lines: list[str] = field(default_factory=list)
    started_at: float = 0.0  # monotonic, at the last test start

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-ShopFlow-Test-Run": self.run_id}


RUN = Run()


def _refuse(message: str) -> None:
    """One line and exit 2, before any user starts (Locust's init listeners may exit)."""
    logging.error("shopflow: %s", message)
    sys.exit(EXIT_USAGE)


def _plan(environment: Any) -> load_plan.Plan:
    return load_plan.plan(shopflow_options.load_options(environment.parsed_options, environment.locustfile))


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    """Plan, guard, size and bound the run (a worker only plans when its first spawn arrives)."""
    if environment.runner is not None:
        gevent.spawn(_sample_cpu, environment)
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return
    options = environment.parsed_options
    try:
        plan = _plan(environment)  # the production guard and every option checked: no request yet
        if plan.environment.auto_start:  # `local` not running: started on demand, stopped at the end
            info = local_stack.start(plan.environment)
            RUN.started_stack = plan.environment.stack_name if info.started else ""
        RUN.health = load_plan.probe_health(plan.environment, os.environ)  # taken from `shopflow-qa load` when it probed
        summary_path = Path(options.shopflow_summary) if options.shopflow_summary else _run_folder(plan) / "summary.json"
    except ConfigError as error:
        _stop_started_stack()
        _refuse(str(error))
        return
    RUN.summary_path = summary_path
    RUN.plan = plan
    RUN.run_id = options.shopflow_run_id or load_plan.new_run_id()
    options.shopflow_run_id = RUN.run_id  # workers receive it with their first spawn
    environment.host = plan.environment.url("api")
    options.host = environment.host
    options.num_users, options.spawn_rate = plan.users, plan.spawn_rate
    if plan.options.shape == load_plan.CONSTANT_RATE:
        options.spawn_rate = plan.users  # the pool is ready at once
    options.run_time = options.run_time or max(1, round(plan.duration_s))
    options.shopflow_planned_duration_s = plan.duration_s  # workers receive it (their arrival schedules)
    _choose_shape(environment, plan)
    shape = f", shape {plan.options.shape}" if plan.options.shape else ""
    print(
        f"shopflow: {plan.options.profile} on {plan.environment.name} ({environment.host}): {plan.users} users, "
        f"{plan.duration_s:g} s{shape}, at most {plan.options.max_requests} requests; run id {RUN.run_id}; "
        f"SLOs of '{plan.slos.name}'",
        flush=True,
    )
    if plan.slos.warning:
        print(f"shopflow: warning: {plan.slos.warning}", flush=True)
    if RUN.health.get("faults"):
        print(f"shopflow: warning: the target has active faults: {', '.join(map(str, RUN.health['faults']))}", flush=True)
    watch = (
        BreachWatch(plan.thresholds, plan.options.abort_grace_s, plan.options.abort_sustain_s)
        if plan.options.abort_on_breach
        else None
    )
    gevent.spawn(_watch, environment, plan, watch)


def _sample_cpu(environment: Any) -> None:
    """Once a second while all users run, how much of a core this process wanted: its CPU plus the time it
    sat runnable waiting for a core (Linux's schedstat), so a generator starved by other processes
    counts as saturated too (core/generator_health.py judges it)."""
    process = psutil.Process()
    process.cpu_percent(None)
    waited = _run_queue_wait_s()
    while True:
        gevent.sleep(1.0)
        percent = process.cpu_percent(None)
        now_waited = _run_queue_wait_s()
        percent += 100.0 * max(0.0, now_waited - waited)
        waited = now_waited
        if environment.runner is not None and environment.runner.state == "running":  # not while users spawn
            stats.record_cpu(min(100.0, percent))


def _run_queue_wait_s() -> float:
    """Seconds this process's main thread has waited for a core since it started (0 where unknown)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _run_folder(plan: load_plan.Plan) -> Path:
    """`$SHOPFLOW_RUN_DIR`, else a new `reports/<time>-<env>-load-<profile>/` (reports/latest points at it)."""
    return run_dir.create_run_dir(plan.environment.name, f"load-{plan.options.profile}")


def _choose_shape(environment: Any, plan: load_plan.Plan) -> None:
    """The profile's ShopFlowShape runs only when --shopflow-shape names one of the shapes."""
    shape = environment.shape_class
    if plan.options.shape in shapes.SHAPES and shape is not None and hasattr(shape, "schedule"):
        shape.schedule = shapes.stages(plan.options.shape, plan.users, plan.duration_s)
    else:
        environment.shape_class = None


@events.test_start.add_listener
def _on_test_start(environment: Any, **_: Any) -> None:
    """Per start (also each start from the web UI): the token, the run's tag, the arrival schedule.
    On a worker the options are the master's, received with the spawn."""
    options = environment.parsed_options
    try:
        plan = RUN.plan if RUN.plan is not None and not isinstance(environment.runner, WorkerRunner) else _plan(environment)
        if environment.host and environment.host.rstrip("/") != plan.environment.url("api"):  # changed in the web UI
            options.host = environment.host
            plan = _plan(environment)
        RUN.token = options.shopflow_token or plan.environment.secret("token")
    except ConfigError as error:
        logging.error("shopflow: %s; not started", error)
        environment.runner.quit()
        return
    RUN.started_at = time.monotonic()
    gc.freeze()  # start-up's objects (Locust, gevent, Flask: ~10^5) are never scanned again by the collector
    RUN.plan = plan  # a host changed in the web UI is the one the summary names
    RUN.run_id = options.shopflow_run_id or RUN.run_id or load_plan.new_run_id()
    if plan.options.shape == load_plan.CONSTANT_RATE and plan.options.rate:
        share = (
            plan.options.rate / max(1, int(getattr(options, "expect_workers", 1) or 1))
            if _is_worker(environment)
            else plan.options.rate
        )
        duration = float(getattr(options, "shopflow_planned_duration_s", 0) or plan.duration_s)
        RUN.arrivals = ArrivalSchedule(share, duration)


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_: Any) -> None:
    """A worker's slots that came due while all its users were busy are dropped before its last report
    (a local run and the master count theirs when judging): a worker that fell behind says so."""
    if _is_worker(environment) and RUN.arrivals is not None:
        RUN.arrivals.finish(time.time())


def _is_worker(environment: Any) -> bool:
    return isinstance(environment.runner, WorkerRunner)


def _watch(environment: Any, plan: load_plan.Plan, watch: BreachWatch | None) -> None:
    """Stop the run at its request bound, past its time bound (the web UI too), or (`--shopflow-abort-on-breach`)
    on a sustained breach."""
    started = time.monotonic()
    while True:
        gevent.sleep(1.0)
        runner = environment.runner
        if runner.state in ("ready", "stopped"):
            started = time.monotonic()
            continue
        elapsed = time.monotonic() - started
        if environment.stats.total.num_requests >= plan.options.max_requests:
            print(f"shopflow: request bound {plan.options.max_requests} reached; stopping", flush=True)
            _stop(environment)
            continue
        if elapsed > plan.duration_s + load_plan.STOP_TIMEOUT_S + load_plan.KILL_MARGIN_S:
            print(f"shopflow: time bound {plan.duration_s:g} s passed; stopping", flush=True)
            _stop(environment)
            continue
        if watch is None or not environment.stats.total.num_requests:
            continue
        breach = watch.check(elapsed, slo.RunStats.from_dict(stats_snapshot(environment)))
        if breach:
            print(
                f"shopflow: aborting at {breach['aborted_at_s']} s: {breach['name']} = {breach['measured']} "
                f"(limit {breach['op']} {breach['limit']:g}) since {breach['breached_since_s']} s",
                flush=True,
            )
            RUN.aborted = breach
            _stop(environment)
            return


def _stop(environment: Any) -> None:
    """Headless: quit (the verdict follows); web UI: stop the swarm and leave the UI up."""
    if environment.parsed_options.headless:
        environment.runner.quit()
    else:
        environment.runner.stop()


@events.quitting.add_listener
def _judge(environment: Any, **_: Any) -> None:
    """The verdict: SLOs judged, summary.json written, Locust's exit code set (0 met, 1 breached)."""
    plan = RUN.plan
    if plan is None or _is_worker(environment):
        return
    snapshot = stats_snapshot(environment)
    if RUN.arrivals is not None:
        RUN.arrivals.finish(time.time())
    if isinstance(environment.runner, MasterRunner):
        snapshot["requests_per_worker"] = per_worker()
        snapshot["arrivals"] = merged_arrivals() if plan.options.shape == load_plan.CONSTANT_RATE else None
    elif RUN.arrivals is not None:
        snapshot["arrivals"] = arrival_counts(RUN.arrivals)
    verdicts = slo.evaluate(plan.thresholds, slo.RunStats.from_dict(snapshot))
    met = all(v.passed for v in verdicts) and RUN.aborted is None
    figures = stats.generator_figures(
        "master" if isinstance(environment.runner, MasterRunner) else "locust",
        plan.users,
        time.monotonic() - RUN.started_at if RUN.started_at else 0.0,
        snapshot.get("arrivals"),
    )
    bottleneck = generator_health.bottleneck(figures)  # then the figures judge the generator, not the shop
    code = EXIT_USAGE if bottleneck else EXIT_OK if met else EXIT_FAILED
    extra = {
        "workers": int(getattr(environment.parsed_options, "expect_workers", 0) or 0)
        if isinstance(environment.runner, MasterRunner)
        else 0,
        "rate": plan.options.rate,
        "arrivals": snapshot.get("arrivals"),
        "requests_per_worker": snapshot.get("requests_per_worker"),
        "aborted": RUN.aborted,
        "test_data": {"run_id": RUN.run_id, "status": "kept"},
        "generator": {**figures.to_json(), "bottleneck": bottleneck or None},
    }
    summary = load_plan.summarise(plan, RUN.run_id, RUN.health, snapshot, verdicts, code, extra)
    if bottleneck:
        summary = dataclasses.replace(summary, verdict=INCONCLUSIVE)
    unwritten = ""
    assert RUN.summary_path is not None
    try:
        RUN.summary_path.parent.mkdir(parents=True, exist_ok=True)
        summary.write(RUN.summary_path, run_dir.write_whole)
    except OSError as error:
        unwritten = f"cannot write {RUN.summary_path}: {error.strerror or error}"
        code = EXIT_USAGE
    environment.process_exit_code = code
    breached = [v.threshold.name for v in verdicts if not v.passed]
    verdict = "all SLOs met" if not breached else f"SLO breached: {', '.join(breached)}"
    if bottleneck:
        verdict = f"{INCONCLUSIVE}: {bottleneck} (measured: {verdict})"
    if RUN.aborted:
        a = RUN.aborted
        verdict = f"aborted at {a['aborted_at_s']} s: {a['name']} = {a['measured']} (limit {a['op']} {a['limit']:g}); " + verdict
    lines = ["", slo.table(verdicts)]
    if snapshot.get("arrivals"):
        a = snapshot["arrivals"]
        lines.append(
            f"arrivals at {plan.options.rate:g}/s: {a.get('started', 0)} started, {a.get('dropped', 0)} dropped "
            f"of {a.get('scheduled', 0)} scheduled"
        )
    for problem, count in (snapshot.get("checks") or {}).get("problems", {}).items():
        lines.append(f"checks failed {count}×: {problem}")
    for warning in summary.warnings:
        lines.append(f"warning: {warning}")
    lines.append(f"load {plan.options.profile}: {verdict} ({snapshot['total']['count']} requests); summary {RUN.summary_path}")
    if unwritten:
        lines.append(f"shopflow: error: {unwritten}")
    RUN.verdict_lines = lines
    problem = _stop_started_stack()
    if problem:
        lines.append(f"warning: the local stack this run started could not be stopped: {problem}")


def _stop_started_stack() -> str:
    """Stop the local stack this run started on demand (if any); "" or why it could not be."""
    name, RUN.started_stack = RUN.started_stack, ""
    if not name:
        return ""
    try:
        local_stack.stop(name)
    except ConfigError as error:
        return str(error)
    return ""


@events.quit.add_listener
def _say_verdict(**_: Any) -> None:
    """Printed last, under Locust's own tables: the threshold table and the one-line verdict."""
    if RUN.verdict_lines:
        print("\n".join(RUN.verdict_lines), flush=True)


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    """A worker's name in `requests_per_worker`: `shopflow-qa load --workers N` names them w1 … wN."""
    stats.report(data, os.environ.get("SHOPFLOW_LOAD_WORKER", client_id), RUN.arrivals)


@events.worker_report.add_listener
def _merge(client_id: str, data: dict[str, Any]) -> None:
    stats.merge(data)
