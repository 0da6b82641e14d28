"""`python -m shopflow_stack` (or `shopflow-stack`): run named local stacks in the background.

The harness starts stacks through this command only, never by importing the stack: `up --json`
prints the stack's state (name, ports, URLs, env file, whether this call started it) as one
JSON object on stdout. Errors are one line on stderr and exit code 2. SIGTERM is handled like
Ctrl-C: a stack half started by this call is stopped before it exits.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from shopflow_stack import runner

EXIT_USAGE = 2
EXIT_INTERRUPTED = 3


class _Terminated(KeyboardInterrupt):
    pass


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def _describe(state: runner.StackState, started: bool) -> dict[str, object]:
    return {
        "name": state.name,
        "port_base": state.port_base,
        "urls": state.urls,
        "faults": state.faults,
        "service_ms": state.service_ms,
        "database": state.database,
        "started": started,
        "directory": str(state.directory),
        "env_file": str(state.directory / "env.toml"),
        "logs": str(state.directory / "logs"),
    }


def _service_time(state: runner.StackState, then: str) -> str:
    """Shown only when set: a stack without it answers as fast as it can."""
    return f"API service time: {state.service_ms} ms{then}" if state.service_ms else ""


def _up(args: argparse.Namespace) -> None:
    state, started = runner.up(
        args.name, args.port_base, args.fault, args.database_url, args.redis_url, args.version, service_ms=args.service_ms
    )
    if args.json:
        print(json.dumps(_describe(state, started)))
        return
    print(
        f"stack '{args.name}' {'started' if started else 'already running'}"
        f" (faults: {', '.join(state.faults) or 'none'}; {_service_time(state, '; ')}database: {state.database})"
    )
    for service, url in state.urls.items():
        print(f"  {service:9} {url}")
    print(f"  env file  {state.directory / 'env.toml'}")


def _down(args: argparse.Namespace) -> None:
    names = [s.name for s in runner.all_states()] if args.all else [args.name]
    for each in names:
        print(f"stack '{each}' {'stopped' if runner.down(each) else 'was not running'}")


def _status(args: argparse.Namespace) -> None:
    states = runner.all_states()
    if args.json:
        print(json.dumps([{**_describe(s, False), "running": runner.is_running(s)} for s in states]))
        return
    if not states:
        print("no stacks")
        return
    for state in states:
        running = "running" if runner.is_running(state) else "stopped"
        age = f"{(time.time() - state.started_at) / 60:.0f} min"
        print(
            f"{state.name:12} {running:8} ports {state.port_base}-{state.port_base + 3}  "
            f"faults: {', '.join(state.faults) or 'none'}  {_service_time(state, '  ')}database: {state.database}  up {age}"
        )


def _logs(args: argparse.Namespace) -> None:
    path = runner.log_path(args.name, args.service)
    if not path.exists():
        raise runner.StackError(f"no log for {args.service} of stack '{args.name}' ({path})")
    for line in path.read_text(errors="replace").splitlines()[-args.lines :]:
        print(line)


def _reset(args: argparse.Namespace) -> None:
    state = runner.reset(args.name)
    print(f"stack '{args.name}' reset and started on ports {state.port_base}-{state.port_base + 3}")


def _service_env(args: argparse.Namespace) -> None:
    print(json.dumps(runner.saved_service_env(args.name)))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopflow-stack", description="Start, stop and inspect ShopFlow local stacks.")
    commands = parser.add_subparsers(dest="command", required=True)

    def named(name: str, handler: object, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--name", "-n", default="local", help="stack name; each name has its own ports, data and logs")
        command.set_defaults(handler=handler)
        return command

    up = named("up", _up, "start a stack in the background, wait for health, print its URLs")
    up.add_argument("--port-base", type=int, default=None, help="web on P, admin P+1, api P+2, payments P+3")
    up.add_argument("--fault", "-f", action="append", default=[], help="switch a fault on (repeatable)")
    up.add_argument("--database-url", default=None, help="PostgreSQL URL; SQLite when unset")
    up.add_argument("--redis-url", default=None, help="Redis URL for queue, cache and sessions")
    up.add_argument("--version", default=None, help="build id /health reports")
    up.add_argument(
        "--service-ms",
        type=int,
        default=0,
        metavar="N",
        help="time each /api request spends in the service, as a production API's work does (not a fault)",
    )
    up.add_argument("--json", action="store_true", help="print the stack's state as one JSON object")
    down = named("down", _down, "stop a stack and every process it started")
    down.add_argument("--all", action="store_true", help="stop every stack")
    status = named("status", _status, "list known stacks, their ports, faults and whether they run")
    status.add_argument("--json", action="store_true", help="one JSON list")
    logs = named("logs", _logs, "print the last lines of a service's log")
    logs.add_argument("service", nargs="?", default="api", help="api, web, admin, payments, worker or prepare")
    logs.add_argument("--lines", type=int, default=50)
    named("reset", _reset, "stop, drop and recreate the schema, migrate, seed, flush Redis, start again")
    named("service-env", _service_env, "DATABASE_URL, REDIS_URL and SHOPFLOW_VERSION the stack was started with")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        args.handler(args)
    except runner.StackError as error:
        print(f"shopflow-stack: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a stacks folder that cannot be written: one line too
        print(
            f"shopflow-stack: error: {error.strerror or type(error).__name__}: {error.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("shopflow-stack: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
