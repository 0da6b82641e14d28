"""`shopflow-qa`: what a person or CI runs outside a test (docs/architecture.md, "Layers")."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from shopflow_qa.cli import load_commands

LOAD_ONLY = ("load", "load-worker")  # commands that start without the gate's, the stack's and the ops' modules


def _version(value: bool) -> None:
    if value:
        from importlib import metadata  # here, not at start: it costs every other command ~30 ms

        try:
            version = metadata.version("shopflow-qa")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            version = "unknown"
        print(f"shopflow-qa {version}")
        raise typer.Exit(0)


def _root(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit.")
    ] = False,
) -> None:
    """ShopFlow QA harness: post-deploy gate, load profiles, local stacks."""


def build_app(load_only: bool = False) -> typer.Typer:
    """The `shopflow-qa` command. `load_only`: just the load commands, because a load run's CPU is
    measured against other generators and the gate's imports (pytest, pydantic) cost it ~0.2 s."""
    app = typer.Typer(
        help="ShopFlow QA harness: post-deploy gate, load profiles, local stacks.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root)
    if not load_only:
        from shopflow_qa.cli import gate_commands, ops_commands, report_commands, stack_commands

        app.add_typer(stack_commands.app, name="stack")
        app.add_typer(report_commands.app, name="report")
        gate_commands.register(app)
        ops_commands.register(app)
    load_commands.register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    """`from shopflow_qa.cli.main import app`: the whole command (tests drive it with CliRunner)."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main() -> None:
    build_app(load_only=len(sys.argv) > 1 and sys.argv[1] in LOAD_ONLY)()


if __name__ == "__main__":
    main()
