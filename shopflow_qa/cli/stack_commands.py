"""`shopflow-qa stack …`: run named ShopFlow local stacks in the background."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from shopflow_qa.cli.errors import one_line_errors
from shopflow_qa.core import local_stack
from shopflow_qa.core.environment import ConfigError, load_environments, load_production_targets
from shopflow_qa.core.hosts import display
from shopflow_qa.core.local_stack import run_stack_command

app = typer.Typer(help="Start, stop and inspect ShopFlow local stacks (stack/).", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--name", "-n", help="Stack name; each name has its own ports, data and logs.")]


def refuse_production_services(action: str, services: dict[str, str | None]) -> None:
    """A local stack migrates, seeds and (reset) drops the schema of its database and flushes
    its Redis: never on a DATABASE_URL or REDIS_URL that reaches production. Checked before
    anything starts, by the production guard every entry point uses."""
    production = load_production_targets()
    for variable, url in services.items():
        why = production.match(url) if url else None
        if why:
            raise ConfigError(
                f"refused: stack {action} writes to its database and Redis, and {variable} {display(url or '')} reaches {why}"
            )


@app.command()
@one_line_errors
def up(
    name: NameOption = "local",
    port_base: Annotated[int | None, typer.Option(help="web on P, admin P+1, api P+2, payments P+3.")] = None,
    fault: Annotated[list[str], typer.Option("--fault", "-f", help="Switch a fault on (repeatable); see stack/README.md.")] = [],
    database_url: Annotated[str | None, typer.Option(envvar="DATABASE_URL", help="PostgreSQL URL; SQLite when unset.")] = None,
    redis_url: Annotated[str | None, typer.Option(envvar="REDIS_URL", help="Redis URL for queue, cache and sessions.")] = None,
    version: Annotated[str | None, typer.Option(envvar="SHOPFLOW_VERSION", help="Build id /health reports.")] = None,
    service_ms: Annotated[
        int,
        typer.Option(
            "--service-ms",
            help="Time each /api request spends in the service, as a production API's work does (not a fault).",
        ),
    ] = 0,
) -> None:
    """Start a stack in the background, wait for health, print its URLs."""
    refuse_production_services("up", {"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    if port_base is None:
        port_base = _managed_port_base(name)
    args = ["up", "--name", name, *(["--port-base", str(port_base)] if port_base is not None else [])]
    for each in fault:
        args += ["--fault", each]
    if service_ms:
        args += ["--service-ms", str(service_ms)]
    for flag, value in (("--database-url", database_url), ("--redis-url", redis_url), ("--version", version)):
        if value:
            args += [flag, value]
    print(run_stack_command(args), end="")


def _managed_port_base(name: str) -> int | None:
    """A managed environment of that name (an --env-file's, via $SHOPFLOW_ENV_FILE) keeps its ports."""
    environment = load_environments().get(name)
    if environment is None or not environment.managed_stack:
        return None
    return local_stack.port_base(environment)


@app.command()
@one_line_errors
def down(
    name: NameOption = "local", all_stacks: Annotated[bool, typer.Option("--all", help="Stop every stack.")] = False
) -> None:
    """Stop a stack and every process it started."""
    print(run_stack_command(["down", "--all"] if all_stacks else ["down", "--name", name]), end="")


@app.command()
@one_line_errors
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object (shape: docs/cli-json.md).")] = False,
) -> None:
    """List known stacks, their ports, faults and whether they run."""
    if not as_json:
        print(run_stack_command(["status"]), end="")
        return
    stacks = json.loads(run_stack_command(["status", "--json"]))
    keys = ("name", "running", "port_base", "urls", "faults", "service_ms", "database", "env_file", "logs")
    print(json.dumps({"schema": 1, "stacks": [{key: stack.get(key) for key in keys} for stack in stacks]}, indent=2))


@app.command()
@one_line_errors
def logs(
    service: Annotated[str, typer.Argument(help="api, web, admin, payments, worker or prepare.")] = "api",
    name: NameOption = "local",
    lines: Annotated[int, typer.Option("--lines", help="How many of the last lines.")] = 50,
) -> None:
    """Print the last lines of a service's log."""
    print(run_stack_command(["logs", service, "--name", name, "--lines", str(lines)]), end="")


@app.command()
@one_line_errors
def reset(name: NameOption = "local") -> None:
    """Stop, drop and recreate the schema, migrate, seed, flush Redis, start again."""
    saved = json.loads(run_stack_command(["service-env", "--name", name]))
    refuse_production_services("reset", saved)
    print(run_stack_command(["reset", "--name", name]), end="")
