"""`shopflow-qa load`: run a Locust profile as a subprocess, bounded, and judge it by its SLOs.

Why a subprocess: Locust's gevent patching must never enter a process that also runs pytest
or Playwright (DESIGN.md). This side sizes the run from the environment, starts Locust
headless with hard bounds (users, run time, request count, a kill deadline), and afterwards
evaluates loadtests/slo.py's thresholds over the statistics the profile dumped, writing
Locust's HTML/CSV and `summary.json` into the run folder. Exit codes per DESIGN.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopflow_qa.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, os_problem, raise_terminated
from shopflow_qa.core import admin_data, arrivals, deploy, local_stack, processes, run_dir, slo
from shopflow_qa.core.abort import BreachWatch
from shopflow_qa.core.api import purge_command
from shopflow_qa.core.environment import ConfigError, Environment, resolve_environment
from shopflow_qa.core.load_summary import EndpointStats, LoadSummary
from shopflow_qa.core.paths import PACKAGE_ROOT, PROJECT_ROOT
from shopflow_qa.core.safety import write_refusal

LOADTESTS = PACKAGE_ROOT / "loadtests"
PROFILES = {"browse": "browse.py", "checkout_flow": "checkout_flow.py", "api_mix": "api_mix.py"}
USERS_PER_API_TASK = {"browse": 10, "checkout_flow": 5, "api_mix": 8}  # sized from capacity.api
MAX_USERS = 500
MAX_DURATION_S = 6 * 3600
STOP_TIMEOUT_S = 15  # drain: users finish the flow they are in (no half-made checkouts)
KILL_MARGIN_S = 60
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
CONSTANT_RATE = "constant_rate"
RATE_PER_API_TASK = 5  # flows per second per API task, the default --rate
MAX_RATE = 1000.0
MAX_WORKERS = 16


def parse_duration(text: str) -> float:
    """Seconds from `30s`, `2m`, `1h`, `500ms` or a bare number of seconds (1 s … 6 h)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ConfigError(f"--duration: expected e.g. 30s, 2m or 1h, got {text!r}")
    seconds = float(match.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[match.group(2)]
    if not 1 <= seconds <= MAX_DURATION_S:
        raise ConfigError(f"--duration: must be between 1s and 6h, got {text!r}")
    return seconds


def size_users(profile: str, environment: Environment, users: int | None) -> int:
    """Users from the environment's API capacity (staging 2 tasks, production 6), or `--users`."""
    if users is not None:
        if not 1 <= users <= MAX_USERS:
            raise ConfigError(f"--users: must be between 1 and {MAX_USERS}, got {users}")
        return users
    return max(1, environment.capacity.api) * USERS_PER_API_TASK[profile]


@dataclass
class LoadOptions:
    profile: str
    env: str | None = None
    env_files: list[str] = field(default_factory=list)
    users: int | None = None
    spawn_rate: float | None = None
    duration: str = "60s"
    slos_path: Path = slo.SLO_FILE
    slo_overrides: list[str] = field(default_factory=list)
    max_requests: int = 100_000
    purge: bool = False
    shape: str | None = None
    rate: float | None = None
    abort_on_breach: bool = False
    abort_grace_s: float = 10.0
    abort_sustain_s: float = 5.0
    workers: int = 0
    quiet: bool = False


@dataclass
class Plan:
    """Everything decided before Locust starts (validated: a bad option never starts a stack)."""

    options: LoadOptions
    environment: Environment
    users: int
    spawn_rate: float
    duration_s: float
    thresholds: list[slo.Threshold]


def plan(options: LoadOptions) -> Plan:
    if options.profile not in PROFILES:
        raise ConfigError(f"unknown load profile '{options.profile}' (known: {', '.join(PROFILES)})")
    duration_s = parse_duration(options.duration)
    if options.max_requests < 1:
        raise ConfigError(f"--max-requests: must be at least 1, got {options.max_requests}")
    if options.shape is not None:
        from shopflow_qa.core import shapes

        if options.shape not in (*shapes.SHAPES, CONSTANT_RATE):
            raise ConfigError(f"--shape: unknown shape '{options.shape}' (known: {', '.join((*shapes.SHAPES, CONSTANT_RATE))})")
    if options.rate is not None and (options.shape != CONSTANT_RATE or not 0 < options.rate <= MAX_RATE):
        raise ConfigError(f"--rate: needs --shape constant_rate and 0 < R <= {MAX_RATE}, got {options.rate:g}")
    if not 0 <= options.workers <= MAX_WORKERS:
        raise ConfigError(f"--workers: must be between 0 and {MAX_WORKERS}, got {options.workers}")
    environment = resolve_environment(options.env, options.env_files)
    refusal = write_refusal(environment, "load")
    if refusal:
        raise ConfigError(refusal)
    environment.secret("token")  # a missing secret is a one-line error before anything starts
    users = size_users(options.profile, environment, options.users)
    if options.shape == CONSTANT_RATE:
        options.rate = options.rate or float(max(1, environment.capacity.api) * RATE_PER_API_TASK)
        users = options.users or arrivals.pool_size(options.rate)
    spawn_rate = options.spawn_rate if options.spawn_rate else max(1.0, users / 5)
    slo_env = slo.slo_environment(environment.name, bool(environment.stack_name), Path(options.slos_path))
    thresholds = slo.thresholds_for(slo_env, options.profile, Path(options.slos_path), profiles=PROFILES)
    thresholds = slo.with_overrides(thresholds, [slo.parse_override(t) for t in options.slo_overrides])
    if not thresholds:  # a load run that nothing can fail is not a gate
        raise ConfigError(f"no load SLOs for '{slo_env}' in {options.slos_path} (add [{slo_env}.load] or pass --slos/--slo)")
    return Plan(options, environment, users, spawn_rate, duration_s, thresholds)


def _health(environment: Environment) -> dict[str, Any]:
    """Version and faults of the target; ConfigError when nothing or not ShopFlow answers."""
    health = deploy.probe(environment.url("api"))
    if not health.reachable:
        raise ConfigError(
            f"{environment.url('api')} unreachable ({health.error.split(':')[0]}); "
            f"try `shopflow-qa doctor --env {environment.name}`"
        )
    if health.foreign:
        raise ConfigError(f"environment '{environment.name}': {health.describe()}")
    return {"version": health.version, "faults": health.faults}


def _run_id() -> str:
    return os.environ.get("SHOPFLOW_RUN_ID") or (f"load-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}")


def locust_command(p: Plan, run: Path, master_port: int = 0) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOADTESTS / PROFILES[p.options.profile]),
        "--headless",
        "-H",
        p.environment.url("api"),
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--csv",
        str(run / "locust"),
        "--csv-full-history",
        "--html",
        str(run / "locust.html"),
        "--loglevel",
        "WARNING",
    ]
    if p.options.shape in (None, CONSTANT_RATE):
        spawn = p.users if p.options.shape == CONSTANT_RATE else p.spawn_rate  # the pool is ready at once
        command += ["-u", str(p.users), "-r", f"{spawn:g}", "-t", f"{max(1, round(p.duration_s))}s"]
    if p.options.workers:
        command += [
            "--master",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(master_port),
            "--expect-workers",
            str(p.options.workers),
            "--expect-workers-max-wait",
            "30",
        ]
    if p.options.quiet:
        command += ["--only-summary"]
    return command


def _child_env(p: Plan, run: Path, run_id: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SHOPFLOW_LOAD_TOKEN": p.environment.secret("token"),
            "SHOPFLOW_RUN_ID": run_id,
            "SHOPFLOW_LOAD_STATS": str(run / "stats.json"),
            "SHOPFLOW_LOAD_MAX_REQUESTS": str(p.options.max_requests),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT.parent), env.get("PYTHONPATH", "")])),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env["SHOPFLOW_LOAD_DURATION_S"] = f"{p.duration_s:g}"
    if p.options.shape == CONSTANT_RATE:
        env["SHOPFLOW_LOAD_RATE"] = f"{p.options.rate / max(1, p.options.workers):g}"  # each worker its share
    elif p.options.shape:
        env.update({"SHOPFLOW_LOAD_SHAPE": p.options.shape, "SHOPFLOW_LOAD_PEAK": str(p.users)})
    if p.options.abort_on_breach:
        watch = BreachWatch(p.thresholds, p.options.abort_grace_s, p.options.abort_sustain_s)
        env["SHOPFLOW_LOAD_ABORT"] = json.dumps(watch.as_dict())
        env["SHOPFLOW_LOAD_ABORT_FILE"] = str(run / "abort.json")
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_workers(p: Plan, run: Path, env: dict[str, str], master_port: int) -> list[subprocess.Popen[bytes]]:
    """Locust's own distributed mode on this machine: N worker processes talking to the master on 127.0.0.1."""
    workers = []
    for index in range(p.options.workers):
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOADTESTS / PROFILES[p.options.profile]),
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(master_port),
            "--loglevel",
            "WARNING",
        ]
        log = (run / f"worker-{index + 1}.log").open("wb")
        workers.append(
            subprocess.Popen(
                command,
                env={**env, "SHOPFLOW_LOAD_WORKER": f"w{index + 1}"},
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _run_locust(command: list[str], env: dict[str, str], log: Path, deadline_s: float) -> tuple[int, bool]:
    """Run Locust, its output on screen and in `log`; (exit code, interrupted). Killed at the deadline.

    Ctrl-C or SIGTERM here stops Locust with SIGINT, its graceful stop (users finish their flow,
    the HTML report is written: its own SIGTERM handler skips that report), then kills what
    is left of its process tree; a second one kills it at once."""
    with log.open("w") as sink:
        child = subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        pump = threading.Thread(target=_copy_output, args=(child, sink), name="locust-output", daemon=True)
        pump.start()
        try:
            try:
                return child.wait(timeout=deadline_s), False
            except subprocess.TimeoutExpired:
                processes.stop_tree(child, ((signal.SIGKILL, 5.0),))
                pump.join(timeout=5)
                sink.write(f"shopflow: killed after {deadline_s:.0f} s\n")
                return -9, False
        except KeyboardInterrupt:
            _stop_at_once_on_another_interrupt(child)
            code = processes.stop_tree(child, ((signal.SIGINT, STOP_TIMEOUT_S + 10), (signal.SIGKILL, 5.0)))
            return (-9 if code is None else code), True
        finally:
            pump.join(timeout=5)


def _copy_output(child: subprocess.Popen[str], sink: Any) -> None:
    """Locust's output to the screen and its log, read until it closes (also while it drains
    after a Ctrl-C: a full pipe would block its final report)."""
    assert child.stdout is not None
    try:
        for line in child.stdout:
            sink.write(line)
            print(line, end="", flush=True)
    except (OSError, ValueError):  # the log closed or the disk is full: the run's verdict does not depend on it
        return


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _stop_at_once_on_another_interrupt(child: subprocess.Popen[str] | None) -> None:
    """From the first Ctrl-C or SIGTERM on (or once Locust has ended), another one kills Locust
    without waiting for its drain, and none stops the harness before it has purged and written
    the summary (run_load restores the handlers)."""

    def handler(signum: int, frame: object) -> None:
        if child is not None and child.poll() is None:
            print("shopflow: interrupted again: Locust stopped at once; its figures may be lost", file=sys.stderr, flush=True)
            _kill_group(child.pid)
        else:
            print("shopflow: finishing the purge and the summary first", file=sys.stderr, flush=True)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)


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
    run_id = _run_id()
    with local_stack.managed(p.environment):
        health = _health(p.environment)
        shape = f", shape {options.shape}" if options.shape else ""
        print(
            f"load {options.profile} on {p.environment.name} ({p.environment.url('api')}): {p.users} users, "
            f"{p.duration_s:g} s{shape}, at most {options.max_requests} requests; run id {run_id}; into {run}",
            flush=True,
        )
        if health.get("faults"):
            print(f"warning: the stack has active faults: {', '.join(map(str, health['faults']))}", flush=True)
        deadline = p.duration_s + STOP_TIMEOUT_S + KILL_MARGIN_S
        master_port = _free_port() if options.workers else 0
        env = _child_env(p, run, run_id)
        workers: list[subprocess.Popen[bytes]] = []
        try:
            workers = _start_workers(p, run, env, master_port) if options.workers else []
            code, interrupted = _run_locust(locust_command(p, run, master_port), env, run / "locust.log", deadline)
        finally:
            _stop_at_once_on_another_interrupt(None)  # from here on, a signal cannot cut the purge or the summary short
            _stop_workers(workers)
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
