"""`shopflow-qa load`: run a Locust profile as a subprocess, bounded, and judge it by its SLOs.

Why a subprocess: Locust's gevent patching must never enter a process that also runs pytest
or Playwright (docs/architecture.md). This side sizes the run from the environment, starts Locust
headless with hard bounds (users, run time, request count, a kill deadline), and afterwards
evaluates shopflow_qa/core/slo.py's thresholds over the statistics the profile dumped, writing
Locust's HTML/CSV and `summary.json` into the run folder. Exit codes per docs/architecture.md, "Exit codes"."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from shopflow_qa.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, os_problem, raise_terminated
from shopflow_qa.cli.load_plan import KILL_MARGIN_S, STOP_TIMEOUT_S, LoadOptions, Plan, new_run_id, plan, probe_health
from shopflow_qa.cli.locust_process import (
    child_env,
    free_port,
    locust_command,
    run_locust,
    start_workers,
    stop_at_once_on_another_interrupt,
    stop_workers,
)
from shopflow_qa.core import admin_data, local_stack, run_dir, slo
from shopflow_qa.core.api import purge_command
from shopflow_qa.core.environment import ConfigError
from shopflow_qa.core.load_summary import EndpointStats, LoadSummary


def summary(
    p: Plan,
    run_id: str,
    health: dict[str, Any],
    stats: dict[str, Any],
    verdicts: list[slo.Verdict],
    code: int,
    extra: dict[str, Any],
) -> LoadSummary:
    return LoadSummary(
        profile=p.options.profile,
        verdict={EXIT_OK: "passed", EXIT_INTERRUPTED: "interrupted", EXIT_USAGE: "error"}.get(code, "failed"),
        exit_code=code,
        environment=p.environment.name,
        api_url=p.environment.url("api"),
        version=health.get("version"),
        faults=list(health.get("faults", [])),
        run_id=run_id,
        users=p.users,
        spawn_rate=p.spawn_rate,
        duration_s=p.duration_s,
        shape=p.options.shape,
        max_requests=p.options.max_requests,
        endpoints={name: EndpointStats.from_stats(item) for name, item in sorted(stats.get("endpoints", {}).items())},
        total=EndpointStats.from_stats(stats.get("total", {})),
        checks=stats.get("checks", {}),
        successful_checkouts=int(stats.get("checks", {}).get("checkouts", 0)),
        errors=list(stats.get("errors", [])),
        thresholds=slo.results(verdicts),
        **extra,
    )


def run_load(options: LoadOptions) -> int:
    """Run the load; SIGTERM (a cancelled CI job) is handled like Ctrl-C: Locust drains, the run's
    data is purged, summary.json is written, exit 3."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return _run_load(options)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_load(options: LoadOptions) -> int:
    p = plan(options)
    run = run_dir.create_run_dir(p.environment.name, f"load-{options.profile}")
    run_id = new_run_id()
    with local_stack.managed(p.environment):
        health = probe_health(p.environment)
        shape = f", shape {options.shape}" if options.shape else ""
        print(
            f"load {options.profile} on {p.environment.name} ({p.environment.url('api')}): {p.users} users, "
            f"{p.duration_s:g} s{shape}, at most {options.max_requests} requests; run id {run_id}; into {run}",
            flush=True,
        )
        if health.get("faults"):
            print(f"warning: the stack has active faults: {', '.join(map(str, health['faults']))}", flush=True)
        deadline = p.duration_s + STOP_TIMEOUT_S + KILL_MARGIN_S
        master_port = free_port() if options.workers else 0
        env = child_env(p, run, run_id)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            workers = start_workers(p, run, env, master_port) if options.workers else []
            code, interrupted = run_locust(locust_command(p, run, master_port), env, run / "locust.log", deadline)
        finally:
            stop_at_once_on_another_interrupt(None)  # from here on, a signal cannot cut the purge or the summary short
            stop_workers(workers)
        stats_file = run / "stats.json"
        crashed = not stats_file.exists() and not interrupted  # Locust died or never started: no figures
        stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}  # {}: stopped before Locust wrote any
        verdicts = slo.evaluate(p.thresholds, slo.RunStats.from_dict(stats))
        extra: dict[str, Any] = {
            "workers": options.workers,
            "rate": options.rate,
            "arrivals": stats.get("arrivals"),
            "requests_per_worker": stats.get("requests_per_worker"),
        }
        abort_file = run / "abort.json"
        if abort_file.exists():
            extra["aborted"] = json.loads(abort_file.read_text())
        extra["test_data"] = _test_data(p, run_id, purge=options.purge or interrupted or crashed)
        if extra["test_data"].get("status") == "purged":
            extra["purged"] = extra["test_data"]["purged"]
    met = all(v.passed for v in verdicts) and "aborted" not in extra
    result = EXIT_USAGE if crashed else EXIT_INTERRUPTED if interrupted else (EXIT_OK if met else EXIT_FAILED)
    unwritten = _write_summary(run / "summary.json", summary(p, run_id, health, stats, verdicts, result, extra))
    if crashed:
        _say_test_data(extra["test_data"])
        tail = [line for line in _read_text(run / "locust.log").splitlines() if line.strip()][-1:]
        raise ConfigError(
            f"locust could not run (exit {code}): {tail[0][:200] if tail else 'no output'}; see {run / 'locust.log'}"
        )
    _plot(run)
    print()
    print(slo.table(verdicts))
    breached = [v.threshold.name for v in verdicts if not v.passed]
    verdict = "all SLOs met" if not breached else f"SLO breached: {', '.join(breached)}"
    if interrupted:  # partial figures: the thresholds were judged on what ran, but the run did not finish
        verdict = f"interrupted, partial reports ({verdict} so far)"
    if extra.get("aborted"):
        a = extra["aborted"]
        verdict = f"aborted at {a['aborted_at_s']} s: {a['name']} = {a['measured']} (limit {a['op']} {a['limit']:g}); " + verdict
    if extra.get("arrivals"):
        a = extra["arrivals"]
        print(
            f"arrivals at {options.rate:g}/s: {a.get('started', 0)} started, {a.get('dropped', 0)} dropped "
            f"of {a.get('scheduled', 0)} scheduled"
        )
    print(
        f"load {options.profile}: {verdict} ({stats.get('total', {}).get('count', 0)} requests); summary {run / 'summary.json'}"
    )
    _say_test_data(extra["test_data"])
    if unwritten:  # the verdict above is known; the file that carries it for CI is not there
        raise ConfigError(f"cannot write {run / 'summary.json'}: {unwritten}")
    return result


def _test_data(p: Plan, run_id: str, purge: bool) -> dict[str, Any]:
    """Purge the run's tagged orders (asked for, or the run was interrupted or crashed: nobody
    will inspect half a run), or say how to purge them later."""
    if purge:
        return admin_data.clean_up(p.environment, run_id, p.options.env_files)
    return {"run_id": run_id, "status": "kept", "purge_command": purge_command(p.environment.name, run_id, p.options.env_files)}


def _say_test_data(record: dict[str, Any]) -> None:
    if record.get("status") == "left":
        print(
            f"warning: the run's data may be left ({record['detail']}): purge it with `{record['purge_command']}`",
            file=sys.stderr,
            flush=True,
        )
    elif record.get("status") == "purged":
        counts = ", ".join(f"{n} {kind}" for kind, n in record["purged"].items() if n) or "nothing left"
        print(f"purged run {record['run_id']}: {counts}")


def _write_summary(path: Path, document: LoadSummary) -> str:
    """Write summary.json whole; "" or why it could not be written (the verdict is printed anyway)."""
    try:
        document.write(path, run_dir.write_whole)
    except OSError as error:
        return os_problem(error)
    return ""


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _plot(run: Path) -> None:
    """A PNG of percentiles and throughput over time, when matplotlib is there (never fails the run)."""
    try:
        from shopflow_qa.cli import load_plot

        load_plot.plot(run / "locust_stats_history.csv", run / "latency.png")
    except Exception as error:  # a missing picture is not a failed load run
        print(f"warning: no latency plot ({type(error).__name__}: {error})", file=sys.stderr)
