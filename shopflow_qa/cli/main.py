"""`shopflow-qa`: what a person or CI runs outside a test (docs/architecture.md, "Layers")."""

from __future__ import annotations

import typer

from shopflow_qa.cli import gate_commands, load_commands, ops_commands, stack_commands

app = typer.Typer(
    help="ShopFlow QA harness: post-deploy gate, load profiles, local stacks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(stack_commands.app, name="stack")
gate_commands.register(app)
ops_commands.register(app)
load_commands.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
