"""`shopflow-qa gate` and `shopflow-qa report`: the post-deploy verdict and its HTML report."""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path
from typing import Annotated

import typer

from shopflow_qa.cli.errors import fail_all, one_line_errors
from shopflow_qa.cli.gate import run_gate
from shopflow_qa.cli.gate_checks import MAX_RERUNS, MAX_WORKERS, GateArgs, GateProblems, check
from shopflow_qa.cli.gate_model import DEFAULT_HEARTBEAT_S, DEFAULT_LOAD_DURATION, DEFAULT_LOAD_PROFILE, SUITES_DIR
from shopflow_qa.cli.pytest_gate import AREAS
from shopflow_qa.core import allure_report, run_dir
from shopflow_qa.core.environment import ConfigError, resolve_environment
from shopflow_qa.core.load_plan import LOAD_SHAPES, PROFILES


def _suites(values: list[str]) -> list[str]:
    chosen = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = [s for s in chosen if s not in AREAS]
    if unknown:
        raise ConfigError(f"--suites: unknown area '{unknown[0]}' (known: {', '.join(AREAS)})")
    return [a for a in AREAS if a in chosen] if chosen else list(AREAS)


@one_line_errors
def gate(
    env: Annotated[
        str | None, typer.Option("--env", help="Environment (local, staging, production, or one from --env-file).")
    ] = None,
    env_file: Annotated[list[Path], typer.Option("--env-file", help="Extra environments file (repeatable).")] = [],
    expect_version: Annotated[
        str | None, typer.Option("--expect-version", help="Build SHA that must be live (full or ≥ 7-char prefix).")
    ] = None,
    wait_for_deploy: Annotated[
        str | None,
        typer.Option("--wait-for-deploy", metavar="TIME", help="How long to wait for health ok and the version (900, 15m)."),
    ] = None,
    suites: Annotated[
        list[str], typer.Option("--suites", help=f"Areas to run, comma-separated ({', '.join(AREAS)}); default all.")
    ] = [],
    load: Annotated[str, typer.Option("--load", help=f"Load profile of the load step ({', '.join(PROFILES)}).")] = (
        DEFAULT_LOAD_PROFILE
    ),
    no_load: Annotated[bool, typer.Option("--no-load", help="Skip the load step.")] = False,
    load_shape: Annotated[
        str | None, typer.Option("--load-shape", help=f"Load shape of the load step ({', '.join(LOAD_SHAPES)}).")
    ] = None,
    load_duration: Annotated[
        str, typer.Option("--load-duration", help="Length of the load step (e.g. 30s, 2m).")
    ] = DEFAULT_LOAD_DURATION,
    reruns: Annotated[
        str,
        typer.Option("--reruns", metavar="N", help=f"Re-run failed tests up to N times, 0-{MAX_RERUNS} (one result per test)."),
    ] = "0",
    workers: Annotated[
        str, typer.Option("--workers", "-n", metavar="N", help=f"xdist workers for the parallel areas (1-{MAX_WORKERS}).")
    ] = "2",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No stage lines or progress bar; the verdict (a log keeps its heartbeat).")
    ] = False,
    heartbeat: Annotated[
        str, typer.Option("--heartbeat", metavar="TIME", help="Without a TTY, a progress line at least this often (0: none).")
    ] = f"{DEFAULT_HEARTBEAT_S:g}s",
    suites_path: Annotated[
        Path, typer.Option("--suites-path", hidden=True, help="Where the suites live (the harness's own tests use a small one).")
    ] = SUITES_DIR,
    pytest_args: Annotated[
        list[str] | None,
        typer.Argument(metavar="-- PYTEST_ARGS", help="After `--`: passed to every pytest run of the gate (smoke too)."),
    ] = None,
) -> None:
    """Post-deploy gate: preflight, deploy wait, smoke, the other areas in parallel, load, reports, verdict.

    Every option and every secret is checked before anything starts (all problems at once).
    """
    args = GateArgs(
        env=env,
        env_files=[str(p) for p in env_file],
        expect_version=expect_version,
        wait_for_deploy=wait_for_deploy,
        suites=suites,
        load=load,
        no_load=no_load,
        load_shape=load_shape,
        load_duration=load_duration,
        workers=workers,
        reruns=reruns,
        quiet=quiet,
        heartbeat=heartbeat,
        pytest_args=pytest_args or [],
        suites_path=suites_path,
    )
    try:
        options, _ = check(args)
    except GateProblems as problems:
        raise fail_all(problems.problems) from None
    raise typer.Exit(run_gate(options))


def _secrets_of(env: str) -> list[str]:
    """The secrets of `env` this shell can resolve, to clean the carried history of (none when
    the environment is not known here: the history is then carried as it is)."""
    try:
        return resolve_environment(env, []).secret_values()
    except ConfigError:
        return []


@one_line_errors
def report(
    run: Annotated[str | None, typer.Argument(help="Run folder (name under reports/ or a path); default reports/latest.")] = None,
    open_report: Annotated[bool, typer.Option("--open", help="Serve the report on 127.0.0.1 until Ctrl-C.")] = False,
    port: Annotated[int, typer.Option("--port", help="Port for --open (0: any free port).", min=0, max=65535)] = 0,
) -> None:
    """Rebuild a run's single-file Allure report (history from the previous run of its environment)."""
    path = run_dir.resolve_run(run)
    info = run_dir.read_run(path)
    env = info.env if info else "unknown"
    html = allure_report.generate(
        path, env, secrets=_secrets_of(env), warn=lambda warning: print(f"warning: {warning}", file=sys.stderr)
    )
    print(f"report: {html}")
    if open_report:
        _serve(html.parent, port)


def _serve(directory: Path, port: int) -> None:
    """Serve `directory` on 127.0.0.1 only (never on all interfaces)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        print(f"serving {url} (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("stopped", file=sys.stderr)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def register(app: typer.Typer) -> None:
    """Add `gate` and `report` to the `shopflow-qa` root command."""
    app.command("gate")(gate)
    app.command("report")(report)
