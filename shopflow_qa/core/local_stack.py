"""Auto-start of a managed local stack (DESIGN.md, "Data flow" 3), over `stack.runner`.

Only environments with `managed_stack = true` and no URL override qualify. The stack's ports
are the environment's own (web on P, admin P+1, api P+2, payments P+3), also when the
environment comes from an --env-file the runner does not read. `runner.up` holds a file
lock per stack, so two processes asking at once start it once.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from shopflow_qa.core.environment import ConfigError, Environment

PORT_OFFSETS = {"web": 0, "admin": 1, "api": 2, "payments": 3}
LOOPBACK = ("127.0.0.1", "localhost")


def port_base(environment: Environment) -> int:
    """P such that the environment's URLs are the stack's layout; ConfigError otherwise."""
    web = urlsplit(environment.url("web"))
    if web.hostname not in LOOPBACK or web.port is None:
        raise ConfigError(f"environment '{environment.name}': managed_stack needs web_url on 127.0.0.1 with a port, got {environment.url('web')}")
    base = web.port
    for role, url in environment.urls.items():
        expected = base + PORT_OFFSETS[role]
        if urlsplit(url).hostname not in LOOPBACK or urlsplit(url).port != expected:
            raise ConfigError(f"environment '{environment.name}': {role}_url must be http://127.0.0.1:{expected} "
                              f"for its managed stack (web on P … payments on P+3), got {url}")
    return base


def start(environment: Environment) -> bool:
    """Start the environment's stack unless it runs; True if this call started it."""
    from shopflow_stack import runner  # the stack's code is only needed when a stack is started

    _, started = runner.up(environment.stack_name, port_base=port_base(environment))
    return started


def stop(stack_name: str) -> None:
    from shopflow_stack import runner

    runner.down(stack_name)
