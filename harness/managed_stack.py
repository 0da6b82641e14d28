"""Start the managed local stack for a CLI command when the environment is `local`.

Same rule as the plugin (DESIGN.md, "Data flow" 3): only an environment with
`managed_stack = true` and no URL override is auto-started, and it is stopped afterwards
only if this command started it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

from fixtures.environment import Environment


@contextlib.contextmanager
def managed_stack(environment: Environment) -> Iterator[bool]:
    """Yield whether this call started the stack; stop it on exit if so."""
    if not environment.auto_start:
        yield False
        return
    from stack import runner  # only the CLI's local path needs the stack code

    port_base = urlsplit(environment.web_url).port
    _, started = runner.up(environment.stack_name, port_base=port_base)
    try:
        yield started
    finally:
        if started:
            runner.down(environment.stack_name)
