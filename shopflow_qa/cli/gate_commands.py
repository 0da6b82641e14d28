"""`shopflow-qa gate` and `shopflow-qa report`: the post-deploy verdict and its HTML report."""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path
from typing import Annotated

import typer

from shopflow_qa.cli.errors import one_line_errors
from shopflow_qa.cli.gate import run_gate
from shopflow_qa.cli.gate_model import DEFAULT_LOAD_DURATION, DEFAULT_LOAD_PROFILE, SUITES_DIR, GateOptions
from shopflow_qa.cli.pytest_gate import AREAS
from shopflow_qa.core import allure_report, run_dir
from shopflow_qa.core.deploy import check_expected_version
from shopflow_qa.core.durations import parse_duration
from shopflow_qa.core.environment import ConfigError, resolve_environment


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
        float | None, typer.Option("--wait-for-deploy", help="Seconds to wait for health ok (and the version).", min=0)
    ] = None,
    suites: Annotated[
        list[str], typer.Option("--suites", help=f"Areas to run, comma-separated ({', '.join(AREAS)}); default all.")
    ] = [],
    load: Annotated[str, typer.Option("--load", help="Load profile of the load step.")] = DEFAULT_LOAD_PROFILE,
    no_load: Annotated[bool, typer.Option("--no-load", help="Skip the load step.")] = False,
    load_duration: Annotated[
        str, typer.Option("--load-duration", help="Length of the load step (e.g. 30s, 2m).")
    ] = DEFAULT_LOAD_DURATION,
    reruns: Annotated[
        int,
        typer.Option("--reruns", help="Re-run failed tests up to N times (one result per test, attempts inside).", min=0, max=5),
    ] = 0,
    workers: Annotated[int, typer.Option("--workers", "-n", help="xdist workers for the parallel areas.", min=1, max=8)] = 2,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines; just the verdict (CI logs).")] = False,
    suites_path: Annotated[
        Path, typer.Option("--suites-path", hidden=True, help="Where the suites live (the harness's own tests use a small one).")
    ] = SUITES_DIR,
) -> None:
    """Post-deploy gate: preflight, deploy wait, smoke, the other areas in parallel, load, reports, verdict."""
    parse_duration(load_duration, "--load-duration")
    if expect_version is not None:
        expect_version = check_expected_version(expect_version)
    options = GateOptions(
        env=env,
        env_files=[str(p) for p in env_file],
        expect_version=expect_version,
        wait_for_deploy=wait_for_deploy,
        suites=_suites(suites),
        load_profile=None if no_load else load,
        load_duration=load_duration,
        reruns=reruns,
        workers=workers,
        quiet=quiet,
        suites_path=suites_path.resolve(),
    )
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
