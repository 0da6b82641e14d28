"""Locust as a process (never imported into the harness's own process): the command line, its
environment, the distributed workers, and stopping it however the run ends (drain on the first
Ctrl-C or SIGTERM, kill on the second)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from shopflow_qa.core import processes
from shopflow_qa.core.load_plan import LOADTESTS, LOCUST_MASTER_PORT, LOOPBACK, PROFILES, STOP_TIMEOUT_S, Plan
from shopflow_qa.core.paths import PACKAGE_ROOT, PROJECT_ROOT

LOCAL_WORKERS_WAIT_S = 30
REMOTE_WORKERS_WAIT_S = 120  # workers on other hosts: started by hand or by an orchestrator


def shopflow_arguments(p: Plan, run_id: str, rate: float | None) -> list[str]:
    """The locustfile's own `--shopflow-*` options for this plan: the one way a run is described
    (the token is not among them: Locust reads it from the environment's variable)."""
    o = p.options
    arguments = ["--shopflow-env", p.environment.name, "--shopflow-run-id", run_id, "--shopflow-slos", str(o.slos_path)]
    for path in o.env_files:
        arguments += ["--shopflow-env-file", str(path)]
    for override in o.slo_overrides:
        arguments += ["--shopflow-slo", override]
    arguments += ["--shopflow-max-requests", str(o.max_requests)]
    if o.shape:
        arguments += ["--shopflow-shape", o.shape]
    if rate:
        arguments += ["--shopflow-rate", f"{rate:g}"]
    if o.abort_on_breach:
        arguments += [
            "--shopflow-abort-on-breach",
            "--shopflow-abort-grace",
            f"{o.abort_grace_s:g}",
            "--shopflow-abort-sustain",
            f"{o.abort_sustain_s:g}",
        ]
    return arguments


def locust_command(p: Plan, run: Path, run_id: str, master_port: int = 0) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOADTESTS / PROFILES[p.options.profile]),
        *(["--web-host", "127.0.0.1", "--web-port", str(p.options.web_port)] if p.options.web_port else ["--headless"]),
        *shopflow_arguments(p, run_id, p.options.rate),
        "--shopflow-summary",
        str(run / "summary.json"),
        "--stop-timeout",
        str(STOP_TIMEOUT_S),
        "--csv",
        str(run / "locust"),
        *(["--csv-full-history"] if p.options.plot else []),  # the per-second rows only the plot reads
        "--html",
        str(run / "locust.html"),
        "--loglevel",
        "INFO" if p.options.web_port else "WARNING",  # the web UI's address is an INFO line
        "-t",
        f"{max(1, round(p.duration_s))}s",
    ]
    command += ["-u", str(p.users), "-r", f"{p.spawn_rate:g}"]
    if p.workers:
        command += [
            "--master",
            "--master-bind-host",
            p.options.master_bind if p.options.master else LOOPBACK,
            "--master-bind-port",
            str(master_port),
            "--expect-workers",
            str(p.workers),
            "--expect-workers-max-wait",
            str(REMOTE_WORKERS_WAIT_S if p.options.master else LOCAL_WORKERS_WAIT_S),
        ]
    if p.options.quiet:
        command += ["--only-summary"]
    return command


def child_env() -> dict[str, str]:
    """This process's variables (the environment's secrets among them) with the harness importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT.parent), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_workers(p: Plan, run: Path, run_id: str, env: dict[str, str], master_port: int) -> list[subprocess.Popen[bytes]]:
    """Locust's own distributed mode on this machine: N worker processes talking to the master on 127.0.0.1."""
    workers = []
    for index in range(p.workers):
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
            *shopflow_arguments(p, run_id, p.options.rate),  # each worker takes rate / workers
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


def worker_command(profile: str, master_host: str, master_port: int = LOCUST_MASTER_PORT) -> list[str]:
    """A Locust worker of `profile` for a master elsewhere: it takes the run (options, run id, its share
    of the rate) from the master with its first spawn, and the token from its own environment variable."""
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOADTESTS / PROFILES[profile]),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
        "--loglevel",
        "WARNING",
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            processes.kill_group(worker.pid)
            worker.wait()


def run_locust(command: list[str], env: dict[str, str], log: Path, deadline_s: float) -> tuple[int, bool]:
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
        # A blocking wait and a timer, not wait(timeout=): that one polls every 50 ms, ~0.1 s of CPU a minute
        expired = threading.Event()
        deadline = threading.Timer(deadline_s, _kill_at_deadline, args=(child, expired))
        deadline.daemon = True
        deadline.start()
        try:
            code = child.wait()
            if expired.is_set():
                pump.join(timeout=5)
                sink.write(f"shopflow: killed after {deadline_s:.0f} s\n")
                return -9, False
            return code, False
        except KeyboardInterrupt:
            stop_at_once_on_another_interrupt(child)
            stopped = processes.stop_tree(child, ((signal.SIGINT, STOP_TIMEOUT_S + 10), (signal.SIGKILL, 5.0)))
            return (-9 if stopped is None else stopped), True
        finally:
            deadline.cancel()
            pump.join(timeout=5)


def _kill_at_deadline(child: subprocess.Popen[str], expired: threading.Event) -> None:
    """Past the deadline: SIGKILL Locust's process group and whatever it started (its wait() returns)."""
    expired.set()
    processes.stop_tree(child, ((signal.SIGKILL, 5.0),))


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


def stop_at_once_on_another_interrupt(child: subprocess.Popen[str] | None) -> None:
    """From the first Ctrl-C or SIGTERM on (or once Locust has ended), another one kills Locust
    without waiting for its drain, and none stops the harness before it has purged and written
    the summary (run_load restores the handlers)."""

    def handler(signum: int, frame: object) -> None:
        if child is not None and child.poll() is None:
            print("shopflow: interrupted again: Locust stopped at once; its figures may be lost", file=sys.stderr, flush=True)
            processes.kill_group(child.pid)
        else:
            print("shopflow: finishing the purge and the summary first", file=sys.stderr, flush=True)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
