"""Start, stop and inspect named local stacks as background processes.

One folder per stack under `.shopflow/stacks/<name>/`: `state.json` (pids, ports, faults, API service time),
`logs/<service>.log`, `env.toml` (usable with `--env-file`) and the SQLite file. A file lock
per stack makes concurrent `up` calls (xdist workers, two shells) start it once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from shopflow_stack import heartbeat
from shopflow_stack.defaults import DEFAULT_SECRETS, LOCAL_PORT_BASE, LOCAL_STACK_NAME, SECRET_VARIABLES
from shopflow_stack.faults import UnknownFault, parse_faults
from shopflow_stack.paths import PROJECT_ROOT, stacks_dir
from shopflow_stack.services import HTTP_SERVICES, SERVICES, STACK_HEADER, service_urls
from shopflow_stack.settings import MAX_SERVICE_MS

STACKS_DIR = stacks_dir()
HEALTH_TIMEOUT_S = 30.0
_RANGE = os.environ.get("SHOPFLOW_PORT_RANGE", "8610-8990").partition("-")
AUTO_PORT_BASES = range(int(_RANGE[0]), int(_RANGE[2] or int(_RANGE[0]) + 380), 10)


STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class StackError(Exception):
    """A stack could not be started, found or stopped; one line, exit code 2."""


@dataclass
class StackState:
    name: str
    port_base: int
    faults: list[str] = field(default_factory=list)
    database: str = "sqlite"
    redis: bool = False
    pids: dict[str, int] = field(default_factory=dict)
    started_at: float = 0.0
    service_ms: int = 0  # SHOPFLOW_API_SERVICE_MS: production-like work per /api request, not a fault
    # This start's token, which each of its services sends (STACK_HEADER): the health wait counts
    # only its own services' answers, never another stack's that holds a port it wanted.
    instance: str = ""

    @property
    def urls(self) -> dict[str, str]:
        return service_urls(self.port_base)

    @property
    def directory(self) -> Path:
        return stack_dir(self.name)


def stack_dir(name: str) -> Path:
    return STACKS_DIR / name


def _state_file(name: str) -> Path:
    return stack_dir(name) / "state.json"


def read_state(name: str) -> StackState | None:
    try:
        return StackState(**json.loads(_state_file(name).read_text()))
    except (OSError, json.JSONDecodeError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def is_running(state: StackState) -> bool:
    return bool(state.pids) and all(_alive(pid) for pid in state.pids.values())


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def stack_lock(name: str) -> contextlib.AbstractContextManager[None]:
    """Serialise up/down of one stack across processes."""
    return _file_lock(stack_dir(name) / ".lock")


def _allocation_lock() -> contextlib.AbstractContextManager[None]:
    """Serialise port choice across stacks started at the same moment."""
    return _file_lock(STACKS_DIR / ".ports.lock")


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _ports(port_base: int) -> dict[str, int]:
    return {s.name: port_base + s.port_offset for s in HTTP_SERVICES if s.port_offset is not None}


def default_port_base(name: str) -> int:
    """The local environment's ports for `local`; the first free block for any other name."""
    if name == LOCAL_STACK_NAME:
        return LOCAL_PORT_BASE
    claimed = {s.port_base for s in all_states()}
    for base in AUTO_PORT_BASES:
        if base not in claimed and not any(_port_busy(p) for p in range(base, base + 4)):
            return base
    raise StackError(f"no free block of 4 ports in {AUTO_PORT_BASES.start}-{AUTO_PORT_BASES.stop}; pass --port-base")


def all_states() -> list[StackState]:
    if not STACKS_DIR.is_dir():
        return []
    return [s for s in (read_state(d.name) for d in sorted(STACKS_DIR.iterdir()) if d.is_dir()) if s]


def _service_env(state: StackState, database_url: str | None, redis_url: str | None, version: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SHOPFLOW_STACK_NAME=state.name,
        SHOPFLOW_STACK_DIR=str(state.directory),
        SHOPFLOW_PORT_BASE=str(state.port_base),
        SHOPFLOW_FAULTS=",".join(state.faults),
        SHOPFLOW_API_SERVICE_MS=str(state.service_ms),
        SHOPFLOW_STACK_INSTANCE=state.instance,
        PYTHONUNBUFFERED="1",
    )
    for key, value in (("DATABASE_URL", database_url), ("REDIS_URL", redis_url), ("SHOPFLOW_VERSION", version)):
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _prepare(state: StackState, env: dict[str, str]) -> None:
    """Migrate and seed the stack's database before any service starts."""
    log = state.directory / "logs" / "prepare.log"
    with log.open("ab") as out:
        result = subprocess.run(
            [sys.executable, "-m", "shopflow_stack.manage", "prepare"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    if result.returncode != 0:
        raise StackError(f"stack '{state.name}': database preparation failed: {_log_tail(log, 1)}")


def _spawn(state: StackState, env: dict[str, str]) -> None:
    heartbeat.path(state.directory).unlink(missing_ok=True)  # the new worker's first beat says it is up
    for spec in SERVICES.values():
        log = (state.directory / "logs" / f"{spec.name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "shopflow_stack.serve", spec.name],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        state.pids[spec.name] = process.pid


def _wait_healthy(state: StackState, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(state.urls)
    worker_up = heartbeat.path(state.directory)
    with httpx.Client(timeout=2.0) as client:
        while pending or not worker_up.exists():
            for service, pid in state.pids.items():
                if not _alive(pid):
                    tail = _log_tail(state.directory / "logs" / f"{service}.log")
                    raise StackError(f"stack '{state.name}': {service} exited while starting: {tail}")
            for service, url in list(pending.items()):
                with contextlib.suppress(httpx.HTTPError):
                    answer = client.get(f"{url}/health")
                    if answer.headers.get(STACK_HEADER) == state.instance:  # any HTTP answer of its own: it serves
                        del pending[service]
            waiting = [*pending, *([] if worker_up.exists() else ["worker"])]
            if waiting and time.monotonic() > deadline:
                raise StackError(f"stack '{state.name}': {', '.join(waiting)} not answering after {timeout:.0f} s")
            if waiting:
                time.sleep(0.1)


def _service_note(state: StackState) -> str:
    return f"; API service time {state.service_ms} ms" if state.service_ms else ""


def write_env_file(state: StackState) -> Path:
    """Write `env.toml` describing this stack as an environment named after it."""
    managed = state.name == LOCAL_STACK_NAME
    lines = [
        f"# Written by `shopflow-qa stack up --name {state.name}`; use with --env-file.",
        f"[environments.{state.name}]",
        f"description = \"local stack '{state.name}' (faults: {', '.join(state.faults) or 'none'}{_service_note(state)})\"",
        *(f'{service}_url = "{url}"' for service, url in state.urls.items()),
        'policy = "read-write"',
        f"managed_stack = {str(managed).lower()}",
        f'stack_name = "{state.name}"',
        "allow_default_secrets = true",
        "",
        # What a local stack offers beyond its API (the harness's capabilities vocabulary).
        f"[environments.{state.name}.capabilities]",
        "payments_sandbox = true",
        "mailbox = true",
        'server_logs = "local"',
        "admin_api = true",
        "fault_switches = true",
        "",
        f"[environments.{state.name}.secrets]",
        *(f'{role} = "{var}"' for role, var in SECRET_VARIABLES.items()),
        "",
        f"[environments.{state.name}.default_secrets]",
        *(f'{role} = "{value}"' for role, value in DEFAULT_SECRETS.items()),
        "",
    ]
    path = state.directory / "env.toml"
    path.write_text("\n".join(lines))
    return path


def up(
    name: str = "local",
    port_base: int | None = None,
    faults: Sequence[str] = (),
    database_url: str | None = None,
    redis_url: str | None = None,
    version: str | None = None,
    timeout: float = HEALTH_TIMEOUT_S,
    service_ms: int = 0,
) -> tuple[StackState, bool]:
    """Start stack `name` unless it runs already; returns (state, started_by_this_call).
    `service_ms`: what each /api request costs the service (SHOPFLOW_API_SERVICE_MS)."""
    if not STACK_NAME.match(name):
        raise StackError(f"stack name must be letters, digits, '-' or '_' (it names an environment), got {name!r}")
    if not 0 <= service_ms <= MAX_SERVICE_MS:
        raise StackError(f"--service-ms: must be a whole number of milliseconds from 0 to {MAX_SERVICE_MS}, got {service_ms}")
    try:
        parse_faults(list(faults))
    except UnknownFault as error:
        raise StackError(str(error)) from None
    with stack_lock(name):
        existing = read_state(name)
        if existing and is_running(existing):
            return existing, False
        if existing:
            _terminate(existing)
        with _allocation_lock():
            _state_file(name).unlink(missing_ok=True)  # its ports stay claimed until another claim is made here
            base = port_base if port_base is not None else default_port_base(name)
            for service, port in _ports(base).items():
                if _port_busy(port):
                    raise StackError(f"port {port} ({service}) on 127.0.0.1 is busy; stop what holds it or pass --port-base")
            state = StackState(
                name=name,
                port_base=base,
                faults=[f.strip() for f in faults if f.strip()],
                database="postgresql" if database_url and database_url.startswith("postgres") else "sqlite",
                redis=bool(redis_url),
                started_at=time.time(),
                service_ms=service_ms,
                instance=uuid.uuid4().hex[:16],
            )
            (state.directory / "logs").mkdir(parents=True, exist_ok=True)
            _state_file(name).write_text(json.dumps(asdict(state), indent=2))  # claims the ports
        env = _service_env(state, database_url, redis_url, version)
        saved = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SHOPFLOW_VERSION": version}
        (state.directory / "service-env.json").write_text(json.dumps(saved))
        try:
            _prepare(state, env)
            _spawn(state, env)
            _state_file(name).write_text(json.dumps(asdict(state), indent=2))
            _wait_healthy(state, timeout)
        except BaseException:
            _terminate(state)
            _state_file(name).unlink(missing_ok=True)
            raise
        write_env_file(state)
        return state, True


def _terminate(state: StackState, grace: float = 5.0) -> None:
    for pid in state.pids.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in state.pids.values()):
        time.sleep(0.05)
    for pid in state.pids.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def down(name: str = "local") -> bool:
    """Stop stack `name`; True if something was running."""
    with stack_lock(name):
        state = read_state(name)
        if not state:
            return False
        was_running = any(_alive(pid) for pid in state.pids.values())
        _terminate(state)
        _state_file(name).unlink(missing_ok=True)
        (state.directory / "env.toml").unlink(missing_ok=True)
        return was_running


def saved_service_env(name: str) -> dict[str, str | None]:
    """DATABASE_URL, REDIS_URL and SHOPFLOW_VERSION the stack was started with (reset reuses them)."""
    path = stack_dir(name) / "service-env.json"
    return json.loads(path.read_text()) if path.exists() else {}


def reset(name: str = "local") -> StackState:
    """Stop, drop and recreate the schema, migrate, seed, flush Redis, start again."""
    state = read_state(name)
    if not state:
        raise StackError(f"no stack named '{name}' has been started (nothing to reset)")
    saved = saved_service_env(name)
    with stack_lock(name):  # stopped, but its state file keeps claiming its ports while the data is rebuilt
        _terminate(state)
    env = _service_env(state, saved.get("DATABASE_URL"), saved.get("REDIS_URL"), saved.get("SHOPFLOW_VERSION"))
    result = subprocess.run(
        [sys.executable, "-m", "shopflow_stack.manage", "reset"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise StackError(f"stack '{name}': reset failed: {(result.stdout + result.stderr).strip().splitlines()[-1:]}")
    new_state, _ = up(
        name,
        state.port_base,
        state.faults,
        saved.get("DATABASE_URL"),
        saved.get("REDIS_URL"),
        saved.get("SHOPFLOW_VERSION"),
        service_ms=state.service_ms,
    )
    return new_state


def log_path(name: str, service: str) -> Path:
    if service not in SERVICES and service != "prepare":
        raise StackError(f"unknown service '{service}' (known: {', '.join(SERVICES)})")
    return stack_dir(name) / "logs" / f"{service}.log"
