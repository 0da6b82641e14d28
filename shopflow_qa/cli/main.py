"""`shopflow-qa`: what a person or CI runs outside a test (docs/architecture.md, "Layers")."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from shopflow_qa.cli import gate_commands, load_commands, ops_commands, report_commands, stack_commands

app = typer.Typer(
    help="ShopFlow QA harness: post-deploy gate, load profiles, local stacks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("shopflow-qa")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            version = "unknown"
        print(f"shopflow-qa {version}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_version, help="Print the version and exit.")
    ] = False,
) -> None:
    """ShopFlow QA harness: post-deploy gate, load profiles, local stacks."""


app.add_typer(stack_commands.app, name="stack")
app.add_typer(report_commands.app, name="report")
gate_commands.register(app)
ops_commands.register(app)
load_commands.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
