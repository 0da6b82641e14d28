"""`shopflow-qa stack …`: run named ShopFlow local stacks in the background."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from shopflow_qa.core.environment import ConfigError, load_production_targets
from shopflow_qa.core.hosts import display
from shopflow_qa.cli.errors import fail, one_line_errors
from shopflow_stack import runner

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
            raise ConfigError(f"refused: stack {action} writes to its database and Redis, and {variable} "
                              f"{display(url or '')} reaches {why}")


@app.command()
@one_line_errors
def up(
    name: NameOption = "local",
    port_base: Annotated[Optional[int], typer.Option(help="web on P, admin P+1, api P+2, payments P+3.")] = None,
    fault: Annotated[list[str], typer.Option("--fault", "-f", help="Switch a fault on (repeatable); see stack/README.md.")] = [],
    database_url: Annotated[Optional[str], typer.Option(envvar="DATABASE_URL", help="PostgreSQL URL; SQLite when unset.")] = None,
    redis_url: Annotated[Optional[str], typer.Option(envvar="REDIS_URL", help="Redis URL for queue, cache and sessions.")] = None,
    version: Annotated[Optional[str], typer.Option(envvar="SHOPFLOW_VERSION", help="Build id /health reports.")] = None,
) -> None:
    """Start a stack in the background, wait for health, print its URLs."""
    refuse_production_services("up", {"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    state, started = runner.up(name, port_base, fault, database_url, redis_url, version)
    print(f"stack '{name}' {'started' if started else 'already running'}"
          f" (faults: {', '.join(state.faults) or 'none'}; database: {state.database})")
    for service, url in state.urls.items():
        print(f"  {service:9} {url}")
    print(f"  env file  {state.directory / 'env.toml'}")


@app.command()
@one_line_errors
def down(name: NameOption = "local", all_stacks: Annotated[bool, typer.Option("--all", help="Stop every stack.")] = False) -> None:
    """Stop a stack and every process it started."""
    names = [s.name for s in runner.all_states()] if all_stacks else [name]
    for each in names:
        print(f"stack '{each}' {'stopped' if runner.down(each) else 'was not running'}")


@app.command()
@one_line_errors
def status() -> None:
    """List known stacks, their ports, faults and whether they run."""
    states = runner.all_states()
    if not states:
        print("no stacks")
        return
    for state in states:
        running = "running" if runner.is_running(state) else "stopped"
        age = f"{(time.time() - state.started_at) / 60:.0f} min"
        print(f"{state.name:12} {running:8} ports {state.port_base}-{state.port_base + 3}  "
              f"faults: {', '.join(state.faults) or 'none'}  database: {state.database}  up {age}")


@app.command()
@one_line_errors
def logs(
    service: Annotated[str, typer.Argument(help="api, web, admin, payments, worker or prepare.")] = "api",
    name: NameOption = "local",
    lines: Annotated[int, typer.Option("--lines", help="How many of the last lines.")] = 50,
) -> None:
    """Print the last lines of a service's log."""
    path = runner.log_path(name, service)
    if not path.exists():
        raise fail(f"no log for {service} of stack '{name}' ({path})")
    for line in path.read_text(errors="replace").splitlines()[-lines:]:
        print(line)


@app.command()
@one_line_errors
def reset(name: NameOption = "local") -> None:
    """Stop, drop and recreate the schema, migrate, seed, flush Redis, start again."""
    refuse_production_services("reset", runner.saved_service_env(name))
    state = runner.reset(name)
    print(f"stack '{name}' reset and started on ports {state.port_base}-{state.port_base + 3}")
