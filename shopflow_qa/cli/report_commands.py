"""`shopflow-qa report [RUN]` (rebuild a run's report), `report publish` and `report history`.

`report RUN` stays the short form of `report build RUN`."""

from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from shopflow_qa.cli.errors import EXIT_FAILED, fail, one_line_errors
from shopflow_qa.cli.secret_scan import secret_leaks
from shopflow_qa.core import allure_report, report_publish, run_dir
from shopflow_qa.core.environment import ConfigError, Environment, resolve_environment
from shopflow_qa.core.report_store import Store, open_store

REPORTS_PREFIX = "reports"  # below an environment's reports bucket


class _BuildByDefault(TyperGroup):
    """`report RUN` and `report --open` mean `report build …`: the command kept its old form."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["build", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_BuildByDefault,
    help="A run's Allure report: rebuild it, publish it, restore history for the next one.",
    no_args_is_help=False,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EnvFileOption = Annotated[list[Path], typer.Option("--env-file", help="Extra environments file (repeatable).")]
BranchOption = Annotated[
    str | None, typer.Option("--branch", help="Branch the run belongs to (default: $GITHUB_HEAD_REF/$GITHUB_REF_NAME, git's).")
]


def _environment(env: str, env_files: list[Path]) -> Environment:
    return resolve_environment(env, [str(p) for p in env_files])


def _secrets_of(env: str, env_files: list[Path] = []) -> list[str]:
    """The secrets of `env` this shell can resolve, to clean the carried history of (none when
    the environment is not known here: the history is then carried as it is)."""
    try:
        return _environment(env, env_files).secret_values()
    except ConfigError:
        return []


@app.command("build")
@one_line_errors
def build(
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


def _destination(to: str | None, environment: Environment) -> Store:
    """`--to`, else the environment file's reports bucket."""
    aws = environment.aws
    if to is None:
        if aws is None or not aws.reports_bucket:
            raise ConfigError(
                f"environment '{environment.name}' names no reports bucket (aws.reports_bucket): pass --to s3://bucket/prefix or --to DIR"
            )
        to = f"s3://{aws.reports_bucket}/{REPORTS_PREFIX}"
    return open_store(to, aws.region if aws else "", aws.endpoint_url if aws else "")


@app.command("publish")
@one_line_errors
def publish(
    run: Annotated[str | None, typer.Argument(help="Run folder (name under reports/ or a path); default reports/latest.")] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="s3://bucket/prefix or a folder (default: the environment's reports bucket).")
    ] = None,
    env_file: EnvFileOption = [],
    branch: BranchOption = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            envvar="SHOPFLOW_REPORTS_PUBLIC_URL",
            help="Where browsers reach the destination's root (bucket website, CDN): prints clickable links too.",
        ),
    ] = None,
) -> None:
    """Publish a run (after a secret scan): the run folder, `latest/` of its environment and branch, an index of recent runs."""
    path = run_dir.resolve_run(run)
    info = run_dir.read_run(path)
    if info is None:
        raise ConfigError(f"{path}: not a run folder (no run.json)")
    environment = _environment(info.env, env_file)
    secrets = environment.secret_values()
    if not secrets:
        raise ConfigError(
            f"cannot scan {path.name} for secrets: none of environment '{info.env}''s secrets is set here "
            f"({', '.join(sorted(environment.secret_variables.values()))}); refusing to publish"
        )
    leaks = secret_leaks(path, secrets)
    if leaks:
        shown = ", ".join(str(p) for p in leaks[:5]) + (f" and {len(leaks) - 5} more" if len(leaks) > 5 else "")
        raise fail(f"refusing to publish {path.name}: a secret value is written in {shown}", EXIT_FAILED)
    store = _destination(to, environment)
    chosen = branch or report_publish.current_branch()
    published = _call_store(lambda: report_publish.publish(path, store, info.env, chosen))
    print(f"published {path.name} ({published.files} files, {info.env}/{report_publish.safe_part(chosen)})")
    print(f"report: {published.report}")
    print(f"latest: {published.latest}")
    print(f"index:  {published.index}")
    for name, link in published.links(public_url).items() if public_url else ():
        print(f"{name}-url: {link}")


@app.command("history")
@one_line_errors
def history(
    env: Annotated[str, typer.Option("--env", help="Environment whose history to restore.")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from", help="s3://bucket/prefix, a published folder or a run folder (default: the environment's bucket)."
        ),
    ] = None,
    env_file: EnvFileOption = [],
    branch: BranchOption = None,
) -> None:
    """Restore the newest published history of an environment and branch, so its next report shows trends across runs."""
    environment = _environment(env, env_file)
    store = _destination(source, environment)
    chosen = branch or report_publish.current_branch()
    root = run_dir.reports_dir()
    count = _call_store(lambda: report_publish.restore_history(store, env, chosen, root))
    if count:
        print(f"history: {count} earlier run(s) of {env}/{report_publish.safe_part(chosen)} restored for the next report")
    else:
        print(f"history: none published yet for {env}/{report_publish.safe_part(chosen)} (the next report starts a new one)")


def _call_store(action: Any) -> Any:
    """Run a store operation; an AWS or file-system failure is one line, exit 2."""
    import botocore.exceptions

    try:
        return action()
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        from shopflow_qa.core.aws import describe_error

        raise ConfigError(f"report store: {describe_error(error)}") from None
    except OSError as error:
        raise ConfigError(f"report store: {error.strerror or error}: {getattr(error, 'filename', '') or ''}") from None


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
