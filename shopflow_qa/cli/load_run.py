"""`shopflow-qa load`: a thin wrapper over `locust -f loadtests/<profile>.py --shopflow-env …`.

It checks the same plan the locustfile builds (shopflow_qa/core/load_plan.py) before anything
starts, creates the run folder, starts a managed local stack, runs Locust as a subprocess with
exactly the profile's own options (Locust plans, bounds and judges the run and writes
`summary.json`), and adds what only a parent can do: stopping Locust on Ctrl-C or SIGTERM
(drain, then kill), purging the run's data (also when Locust died), and the summary of a run
that Locust could not finish. Why a subprocess: Locust's gevent patching must never enter a
process that also runs pytest or Playwright (docs/architecture.md). Exit codes per
docs/architecture.md, "Exit codes"."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from shopflow_qa.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, os_problem, raise_terminated
from shopflow_qa.cli.locust_process import (
    REMOTE_WORKERS_WAIT_S,
    child_env,
    free_port,
    locust_command,
    run_locust,
    start_workers,
    stop_at_once_on_another_interrupt,
    stop_workers,
    worker_command,
)
from shopflow_qa.core import admin_data, local_stack, perf_baseline, run_dir
from shopflow_qa.core.api import purge_command
from shopflow_qa.core.environment import ConfigError
from shopflow_qa.core.load_plan import (
    KILL_MARGIN_S,
    STOP_TIMEOUT_S,
    LoadOptions,
    Plan,
    check_profile,
    hand_over_health,
    new_run_id,
    plan,
    probe_health,
    summarise,
)
from shopflow_qa.core.load_summary import LoadSummary, LoadSummaryError

WEB_SESSION_S = 6 * 3600.0  # a forgotten web UI session is stopped after the longest run allowed
WORKER_SESSION_S = WEB_SESSION_S + REMOTE_WORKERS_WAIT_S  # a worker whose master vanished is stopped too


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


def run_worker(profile: str, master_host: str, master_port: int) -> int:
    """`shopflow-qa load-worker`: Locust's worker until its master quits; Ctrl-C or SIGTERM stops it (exit 3).
    It writes nothing: the master judges the run and writes the summary."""
    check_profile(profile)
    if not master_host.strip():
        raise ConfigError("--master-host: name the master's address")
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, raise_terminated)
    print(f"load-worker {profile}: joining the master at {master_host}:{master_port}", flush=True)
    try:
        code, interrupted = run_locust(
            worker_command(profile, master_host, master_port), child_env(), Path(os.devnull), WORKER_SESSION_S
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return EXIT_INTERRUPTED if interrupted else code


def _run_load(options: LoadOptions) -> int:
    p = plan(options)
    run = run_dir.create_run_dir(p.environment.name, f"load-{options.profile}")
    run_id = new_run_id()
    with local_stack.managed(p.environment):
        health = probe_health(p.environment)  # unreachable or not ShopFlow: one line before Locust starts
        print(f"load {options.profile} on {p.environment.name} ({p.environment.url('api')}): into {run}", flush=True)
        deadline = p.duration_s + STOP_TIMEOUT_S + KILL_MARGIN_S
        if options.web_port:  # open until Ctrl-C; each swarm started in the UI is bounded inside Locust
            deadline = WEB_SESSION_S
            print(f"web UI: http://127.0.0.1:{options.web_port} (environment {p.environment.name}); Ctrl-C ends it", flush=True)
        print(f"generator: {p.workers_why}", flush=True)
        master_port = options.master_port if options.master else free_port() if p.workers else 0
        if options.master:
            deadline += REMOTE_WORKERS_WAIT_S
        env = {**child_env(), **hand_over_health(p.environment, health)}  # Locust need not probe again
        workers: list[subprocess.Popen[bytes]] = []
        try:
            workers = start_workers(p, run, run_id, env, master_port) if p.workers and not options.master else []
            code, interrupted = run_locust(locust_command(p, run, run_id, master_port), env, run / "locust.log", deadline)
        finally:
            stop_at_once_on_another_interrupt(None)  # from here on, a signal cannot cut the purge or the summary short
            stop_workers(workers)
        summary_path = run / "summary.json"
        written = _read_summary(summary_path)
        crashed = written is None and not interrupted  # Locust died or never started: no verdict of its own
        test_data = _test_data(p, run_id, purge=options.purge or interrupted or crashed)
    if interrupted and options.web_port and written is not None:  # Ctrl-C is how a web UI session ends
        interrupted, code = False, written.exit_code
    result = EXIT_USAGE if crashed else EXIT_INTERRUPTED if interrupted else code
    if written is None:  # no figures: stopped before Locust judged anything, or Locust died
        written = summarise(p, run_id, {}, {}, [], result, {})
    amended = dataclasses.replace(
        written,
        exit_code=result,
        verdict=written.verdict
        if result == written.exit_code
        else {EXIT_USAGE: "error", EXIT_INTERRUPTED: "interrupted"}.get(result, "failed"),
        workers=p.workers,
        test_data=test_data,
        purged=test_data["purged"] if test_data.get("status") == "purged" else None,
    )
    if not (crashed or interrupted or options.web_port):
        amended = _against_last_green(p, amended, run, plot=options.plot)
        result = amended.exit_code
    unwritten = _write_summary(summary_path, amended)
    if crashed:
        _say_test_data(test_data)
        tail = [line for line in _read_text(run / "locust.log").splitlines() if line.strip()][-1:]
        raise ConfigError(
            f"locust could not run (exit {code}): {tail[0][:200] if tail else 'no output'}; see {run / 'locust.log'}"
        )
    if options.plot:
        _plot(lambda load_plot: load_plot.plot(run / "locust_stats_history.csv", run / "latency.png"))
    if interrupted:  # partial figures: the thresholds were judged on what ran, but the run did not finish
        breached = ", ".join(amended.breached)
        print(
            f"load {options.profile}: interrupted, partial reports ({'SLO breached: ' + breached if breached else 'all SLOs met'} so far)"
        )
    _say_test_data(test_data)
    if unwritten:  # the verdict above is known; the file that carries it for CI is not there
        raise ConfigError(f"cannot write {summary_path}: {unwritten}")
    return result


def _against_last_green(p: Plan, summary: LoadSummary, run: Path, plot: bool) -> LoadSummary:
    """The run against the last green run of its environment and profile: a regression fails it
    (exit 1), a first run says it is the baseline; the comparison goes into the summary, and into a
    plot with --plot or when it regressed (matplotlib is not imported for a quiet run)."""
    comparison = perf_baseline.compare_with_last_green(summary, p.slos.tables, run)
    print(f"load {summary.profile}: {comparison.message}", flush=True)
    regressed = comparison.status == "regressed"
    if plot or regressed:
        _plot(lambda load_plot: load_plot.plot_comparison(comparison, run / "regression.png"))
    return dataclasses.replace(
        summary,
        regression=comparison.to_json(),
        exit_code=1 if regressed and summary.exit_code == 0 else summary.exit_code,
        verdict="failed" if regressed and summary.verdict == "passed" else summary.verdict,
    )


def _read_summary(path: Path) -> LoadSummary | None:
    """The summary Locust wrote at quit, or None (it did not get that far)."""
    if not path.exists():
        return None
    try:
        return LoadSummary.read(path)
    except LoadSummaryError:
        return None


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


def _plot(draw: Any) -> None:
    """A PNG (`draw(load_plot)`), when matplotlib is there (never fails the run)."""
    try:
        from shopflow_qa.cli import load_plot

        draw(load_plot)
    except Exception as error:  # a missing picture is not a failed load run
        print(f"warning: no plot ({type(error).__name__}: {error})", file=sys.stderr)
