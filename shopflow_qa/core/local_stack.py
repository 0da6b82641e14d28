"""The local-stack launcher: starts and stops ShopFlow local stacks as processes.

The harness never imports the shop under test. It runs `python -m shopflow_stack …` and learns
the stack's ports, URLs and env file from the JSON that command prints. Only environments with
`managed_stack = true` and no URL override are auto-started (`managed`), once per run (the
stack command holds a file lock per stack), and stopped afterwards only by whoever started
them. The stack's ports are the environment's own (PORT_OFFSETS), also when the environment
comes from an --env-file the stack does not read.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from shopflow_qa.core import processes
from shopflow_qa.core.environment import ConfigError, Environment

PORT_OFFSETS = {"web": 0, "admin": 1, "api": 2, "payments": 3}  # the one port layout of a stack
LOOPBACK = ("127.0.0.1", "localhost")
STACK_COMMAND = (sys.executable, "-m", "shopflow_stack")
_STOP_STEPS = ((signal.SIGTERM, 30.0), (signal.SIGKILL, 5.0))  # SIGTERM: it stops what it half started


class StackError(ConfigError):
    """A stack could not be started, found or stopped; one line, exit code 2."""


@dataclass(frozen=True)
class StackInfo:
    """What `shopflow_stack up --json` reports about a stack."""

    name: str
    port_base: int
    urls: dict[str, str]
    faults: list[str]
    database: str
    started: bool
    env_file: Path
    logs: Path


def run_stack_command(args: Sequence[str], capture: bool = True) -> str:
    """Run `python -m shopflow_stack ARGS`; its stdout, or StackError with its one-line error.
    Interrupted (Ctrl-C, SIGTERM), it is asked to stop (and stops what it half started)."""
    process = subprocess.Popen(
        [*STACK_COMMAND, *args],
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate()
    except BaseException:
        processes.stop_tree(process, _STOP_STEPS)
        raise
    if process.returncode != 0:
        lines = [line for line in (err or "").strip().splitlines() if line.strip()]
        message = lines[-1] if lines else f"shopflow_stack {' '.join(args)} exited with {process.returncode}"
        raise StackError(message.removeprefix("shopflow-stack: error: "))
    return out or ""


def port_base(environment: Environment) -> int:
    """P such that the environment's URLs are the stack's layout; ConfigError otherwise."""
    web = urlsplit(environment.url("web"))
    if web.hostname not in LOOPBACK or web.port is None:
        raise ConfigError(
            f"environment '{environment.name}': managed_stack needs web_url on 127.0.0.1 with a port, got {environment.url('web')}"
        )
    base = web.port
    for role, url in environment.urls.items():
        expected = base + PORT_OFFSETS[role]
        if urlsplit(url).hostname not in LOOPBACK or urlsplit(url).port != expected:
            raise ConfigError(
                f"environment '{environment.name}': {role}_url must be http://127.0.0.1:{expected} "
                f"for its managed stack (web on P … payments on P+3), got {url}"
            )
    return base


def up(name: str, base: int | None = None) -> StackInfo:
    """Start stack `name` unless it runs (on ports P…P+3 when `base` is given)."""
    args = ["up", "--name", name, "--json", *(["--port-base", str(base)] if base is not None else [])]
    raw = json.loads(run_stack_command(args))
    return StackInfo(
        name=raw["name"],
        port_base=raw["port_base"],
        urls=raw["urls"],
        faults=raw["faults"],
        database=raw["database"],
        started=raw["started"],
        env_file=Path(raw["env_file"]),
        logs=Path(raw["logs"]),
    )


def start(environment: Environment) -> StackInfo:
    """Start the environment's stack unless it runs; `.started` says whether this call did."""
    return up(environment.stack_name, port_base(environment))


def stop(stack_name: str) -> None:
    run_stack_command(["down", "--name", stack_name])


@contextlib.contextmanager
def managed(environment: Environment) -> Iterator[bool]:
    """For a CLI command: start the environment's stack if it is auto-started; yield whether this
    call started it, and stop it on exit if so."""
    if not environment.auto_start:
        yield False
        return
    started = start(environment).started
    try:
        yield started
    finally:
        if started:
            stop(environment.stack_name)
