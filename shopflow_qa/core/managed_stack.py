"""Start the managed local stack for a CLI command when the environment is `local`.

Same rule as the plugin (DESIGN.md, "Data flow" 3): only an environment with
`managed_stack = true` and no URL override is auto-started, and it is stopped afterwards
only if this command started it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from shopflow_qa.core import local_stack
from shopflow_qa.core.environment import Environment


@contextlib.contextmanager
def managed_stack(environment: Environment) -> Iterator[bool]:
    """Yield whether this call started the stack; stop it on exit if so."""
    if not environment.auto_start:
        yield False
        return
    started = local_stack.start(environment)  # the plugin's rule and port layout check
    try:
        yield started
    finally:
        if started:
            local_stack.stop(environment.stack_name)
