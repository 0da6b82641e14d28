"""`shopflow-qa load PROFILE`: a Locust profile against an environment, judged by its SLOs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopflow_qa.cli.errors import one_line_errors
from shopflow_qa.cli.load_run import run_load, run_worker
from shopflow_qa.core.load_plan import LOCUST_MASTER_PORT, LOOPBACK, PROFILES, LoadOptions
from shopflow_qa.core.slos import SLO_FILE


@one_line_errors
def load(
    profile: Annotated[str, typer.Argument(help=f"Load profile: {', '.join(PROFILES)}.")],
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment (default: $SHOPFLOW_ENV, then local).")] = None,
    env_file: Annotated[list[Path], typer.Option("--env-file", help="Extra environments file (repeatable).")] = [],
    users: Annotated[
        int | None, typer.Option("--users", "-u", help="Concurrent users (default: sized from the environment's capacity).")
    ] = None,
    spawn_rate: Annotated[float | None, typer.Option("--spawn-rate", help="Users started per second.")] = None,
    duration: Annotated[str, typer.Option("--duration", "-t", help="Run time (30s, 2m, 1h).")] = "60s",
    slos: Annotated[Path, typer.Option("--slos", help="SLO file (default data/slos.toml).")] = SLO_FILE,
    slo: Annotated[
        list[str], typer.Option("--slo", help="Extra/overriding threshold, e.g. 'p95_ms[GET /api/products]=50' (repeatable).")
    ] = [],
    max_requests: Annotated[int, typer.Option("--max-requests", help="Stop after this many requests.")] = 100_000,
    purge: Annotated[bool, typer.Option("--purge", help="Delete the run's tagged data at the end.")] = False,
    shape: Annotated[
        str | None,
        typer.Option(
            "--shape", help="Load shape: ramp, step, spike, soak (peak = the sized users), or constant_rate (open model)."
        ),
    ] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", help="constant_rate: flows started per second whatever the response time.")
    ] = None,
    abort_on_breach: Annotated[
        bool,
        typer.Option("--abort-on-breach", help="Stop early (exit 1) on a breach lasting --abort-sustain after --abort-grace."),
    ] = False,
    abort_grace: Annotated[
        float, typer.Option("--abort-grace", help="Seconds before thresholds are checked during the run.", min=0)
    ] = 10.0,
    abort_sustain: Annotated[float, typer.Option("--abort-sustain", help="Seconds a breach must last to abort.", min=0)] = 5.0,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Locust worker processes on this machine (default: one per usable core, under a master; 1 = one process).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only Locust's final summary, no periodic tables.")] = False,
    web: Annotated[
        bool, typer.Option("--web", help="Open Locust's web UI on 127.0.0.1 instead of running headless (Ctrl-C ends it).")
    ] = False,
    web_port: Annotated[int, typer.Option("--web-port", help="Port of the web UI.", min=1, max=65535)] = 8089,
    plot: Annotated[
        bool,
        typer.Option("--plot", help="Also write latency.png (percentiles and throughput per second; needs matplotlib)."),
    ] = False,
    master: Annotated[
        bool,
        typer.Option("--master", help="Be the master of workers on other hosts (`shopflow-qa load-worker`); it alone judges."),
    ] = False,
    expect_workers: Annotated[int, typer.Option("--expect-workers", help="--master: workers to wait for (up to 120 s).")] = 0,
    master_bind: Annotated[
        str, typer.Option("--master-bind", help="--master: address workers connect to (default loopback; name a private one).")
    ] = LOOPBACK,
    master_port: Annotated[int, typer.Option("--master-port", help="--master: port workers connect to.")] = LOCUST_MASTER_PORT,
) -> None:
    """Run a Locust profile headless, bounded; exit 1 when an SLO threshold is breached."""
    options = LoadOptions(
        profile=profile,
        env=env,
        env_files=[str(p) for p in env_file],
        users=users,
        spawn_rate=spawn_rate,
        duration=duration,
        slos_path=slos,
        slo_overrides=slo,
        max_requests=max_requests,
        purge=purge,
        shape=shape,
        rate=rate,
        abort_on_breach=abort_on_breach,
        abort_grace_s=abort_grace,
        abort_sustain_s=abort_sustain,
        workers=workers,
        quiet=quiet,
        web_port=web_port if web else 0,
        plot=plot,
        master=master,
        expect_workers=expect_workers,
        master_bind=master_bind,
        master_port=master_port,
    )
    raise typer.Exit(run_load(options))


@one_line_errors
def load_worker(
    profile: Annotated[str, typer.Argument(help=f"Load profile the master runs: {', '.join(PROFILES)}.")],
    master_host: Annotated[str, typer.Option("--master-host", help="Address of the `shopflow-qa load --master` process.")],
    master_port: Annotated[int, typer.Option("--master-port", help="Its --master-port.", min=1, max=65535)] = LOCUST_MASTER_PORT,
) -> None:
    """A Locust worker for a master on another host: runs users until the master ends the run (its
    options, run id and share of the rate come from the master; the token from this host's variable)."""
    raise typer.Exit(run_worker(profile, master_host, master_port))


def register(app: typer.Typer) -> None:
    """Add `load` to the `shopflow-qa` root command."""
    app.command("load")(load)
    app.command("load-worker")(load_worker)
