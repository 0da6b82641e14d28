"""The load plan: which profile, how many users for how long at what rate, against which
environment and SLO thresholds — checked before anything starts, without a request.

One plan for both ways in: the locustfiles build it from their `--shopflow-*` options
(shopflow_qa/loadtests/common.py) and `shopflow-qa load` checks the same plan before it starts
Locust with exactly those options. The gate can validate a load step with `plan(LoadOptions(...))`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopflow_qa.core import arrivals, deploy, shapes, slo, slos
from shopflow_qa.core.durations import parse_duration
from shopflow_qa.core.environment import ConfigError, Environment, UrlOverrides, resolve_environment
from shopflow_qa.core.load_summary import EndpointStats, LoadSummary
from shopflow_qa.core.paths import PACKAGE_ROOT
from shopflow_qa.core.safety import write_refusal

LOADTESTS = PACKAGE_ROOT / "loadtests"


PROFILES = {"browse": "browse.py", "checkout_flow": "checkout_flow.py", "api_mix": "api_mix.py"}


USERS_PER_API_TASK = {"browse": 10, "checkout_flow": 5, "api_mix": 8}  # sized from capacity.api


MAX_USERS = 500


STOP_TIMEOUT_S = 15  # drain: users finish the flow they are in (no half-made checkouts)


KILL_MARGIN_S = 60


CONSTANT_RATE = "constant_rate"


RATE_PER_API_TASK = 5  # flows per second per API task, the default --rate


MAX_RATE = 5000.0  # flows/s of a whole run: across workers on many machines
LOAD_SHAPES = (*shapes.SHAPES, CONSTANT_RATE)  # what --shape (the gate's --load-shape) accepts


MAX_WORKERS = 16


MAX_REMOTE_WORKERS = 1000
LOOPBACK = "127.0.0.1"
LOCUST_MASTER_PORT = 5557  # Locust's own default


def size_users(profile: str, environment: Environment, users: int | None) -> int:
    """Users from the environment's API capacity (staging 2 tasks, production 6), or `--users`."""
    if users is not None:
        if not 1 <= users <= MAX_USERS:
            raise ConfigError(f"--users: must be between 1 and {MAX_USERS}, got {users}")
        return users
    return max(1, environment.capacity.api) * USERS_PER_API_TASK[profile]


@dataclass
class LoadOptions:
    profile: str
    env: str | None = None
    env_files: list[str] = field(default_factory=list)
    users: int | None = None
    spawn_rate: float | None = None
    duration: str = "60s"
    slos_path: Path = slos.SLO_FILE
    slo_overrides: list[str] = field(default_factory=list)
    max_requests: int = 100_000
    purge: bool = False
    shape: str | None = None
    rate: float | None = None
    abort_on_breach: bool = False
    abort_grace_s: float = 10.0
    abort_sustain_s: float = 5.0
    workers: int | None = None  # generator processes on this machine: None = one per usable core, 1 = one process
    quiet: bool = False
    api_url: str | None = None  # Locust's -H: the API URL override (as BASE_URL would be)
    web_port: int = 0  # `shopflow-qa load --web`: Locust's web UI on 127.0.0.1:PORT (0: headless)
    plot: bool = False  # `shopflow-qa load --plot`: latency.png from the per-second history (matplotlib)
    master: bool = False  # `--master`: Locust's master only; `expect_workers` workers join from other hosts
    expect_workers: int = 0
    master_bind: str = LOOPBACK  # where the master listens for workers: loopback unless the user names an address
    master_port: int = LOCUST_MASTER_PORT


@dataclass
class Plan:
    """Everything decided before Locust starts (validated: a bad option never starts a stack)."""

    options: LoadOptions
    environment: Environment
    users: int
    spawn_rate: float
    duration_s: float
    thresholds: list[slo.Threshold]
    slos: slos.SloChoice
    workers: int = 0  # local Locust worker processes under a master (0: one process runs the users itself)
    workers_why: str = ""


def usable_cores() -> int:
    """The cores this process may run on (taskset and cgroup cpusets included), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def size_generator(workers: int | None, cores: int | None = None) -> tuple[int, str]:
    """(local worker processes, why). One Locust process is one core at most (gevent is one thread):
    by default one worker per usable core under a master, so a run the machine can carry is not cut
    short by its generator; on one core, or asked with `--workers 1`, one process does it all."""
    cores = usable_cores() if cores is None else cores
    if workers is None:
        if cores <= 1:
            return 0, "1 process: 1 usable core"
        return cores, f"{cores} Locust workers + a master: {cores} usable cores (--workers 1 for one process)"
    if workers <= 1:
        return 0, "1 process: --workers 1"
    return workers, f"{workers} Locust workers + a master: --workers {workers} ({cores} usable cores)"


def check_profile(profile: str) -> None:
    """A load profile this harness has (the load command's and the gate's one rule)."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown load profile '{profile}' (known: {', '.join(PROFILES)})")


def check_shape(shape: str | None, option: str = "--shape") -> None:
    """A known load shape or none; `option` names the flag it came from in the error."""
    if shape is not None and shape not in LOAD_SHAPES:
        raise ConfigError(f"{option}: unknown shape '{shape}' (known: {', '.join(LOAD_SHAPES)})")


def _option_checks(options: LoadOptions) -> list[Callable[[], object]]:
    """The checks of the options alone (no environment), each raising one ConfigError."""

    def max_requests() -> None:
        if options.max_requests < 1:
            raise ConfigError(f"--max-requests: must be at least 1, got {options.max_requests}")

    def rate() -> None:
        if options.rate is not None and (options.shape != CONSTANT_RATE or not 0 < options.rate <= MAX_RATE):
            raise ConfigError(f"--rate: needs --shape constant_rate and 0 < R <= {MAX_RATE}, got {options.rate:g}")

    def workers() -> None:
        if options.workers is not None and not 0 <= options.workers <= MAX_WORKERS:
            raise ConfigError(f"--workers: must be between 0 and {MAX_WORKERS}, got {options.workers}")

    def distributed() -> None:
        if options.master and not 1 <= options.expect_workers <= MAX_REMOTE_WORKERS:
            raise ConfigError(f"--expect-workers: --master needs 1 to {MAX_REMOTE_WORKERS} workers, got {options.expect_workers}")
        if options.expect_workers and not options.master:
            raise ConfigError("--expect-workers: only with --master (workers from other hosts join this master)")
        if options.master and options.workers is not None:
            raise ConfigError("--workers: not with --master (the workers are `shopflow-qa load-worker` processes elsewhere)")
        if not 1 <= options.master_port <= 65535:
            raise ConfigError(f"--master-port: must be between 1 and 65535, got {options.master_port}")

    def overrides() -> None:
        for text in options.slo_overrides:
            slo.parse_override(text)

    return [
        lambda: check_profile(options.profile),
        lambda: parse_duration(options.duration),
        max_requests,
        lambda: check_shape(options.shape),
        rate,
        workers,
        distributed,
        overrides,
    ]


def problems(options: LoadOptions) -> list[str]:
    """Every problem of a load run's options at once, one line each, without a request ([] when
    `plan` would succeed): for a caller such as the gate that reports them all before it starts.
    The environment-dependent ones (refusal, secret, SLOs) follow once the options are sound."""
    found = []
    for check in _option_checks(options):
        try:
            check()
        except ConfigError as error:
            found.append(str(error))
    if not found:
        try:
            plan(replace(options, slo_overrides=list(options.slo_overrides), env_files=list(options.env_files)))
        except ConfigError as error:
            found.append(str(error))
    return found


def plan(options: LoadOptions) -> Plan:
    """The run, every option and the environment's refusal, secret and SLOs checked (the first
    problem raised as ConfigError); nothing is sent."""
    for check in _option_checks(options):
        check()
    duration_s = parse_duration(options.duration)
    environment = resolve_environment(options.env, options.env_files, UrlOverrides(api=options.api_url))
    refusal = write_refusal(environment, "load")
    if refusal:
        raise ConfigError(refusal)
    environment.secret("token")  # a missing secret is a one-line error before anything starts
    users = size_users(options.profile, environment, options.users)
    if options.shape == CONSTANT_RATE:
        options.rate = options.rate or float(max(1, environment.capacity.api) * RATE_PER_API_TASK)
        users = options.users or arrivals.pool_size(options.rate)
    spawn_rate = options.spawn_rate if options.spawn_rate else max(1.0, users / 5)
    thresholds, choice = slo.environment_thresholds(environment, options.profile, Path(options.slos_path), profiles=PROFILES)
    thresholds = slo.with_overrides(thresholds, [slo.parse_override(t) for t in options.slo_overrides])
    if not thresholds:  # a load run that nothing can fail is not a gate
        raise ConfigError(
            f"no load SLOs for '{environment.name}' in {options.slos_path} "
            f"(give the environment `slos`, add [{environment.name}.load] or [{slos.DEFAULT_PROFILE}.load], or pass --slo)"
        )
    workers, why = size_generator(options.workers)
    if options.master:
        workers = options.expect_workers
        why = f"{workers} Locust workers expected at {options.master_bind}:{options.master_port} (`shopflow-qa load-worker`); this process is their master"
    return Plan(options, environment, users, spawn_rate, duration_s, thresholds, choice, workers, why)


PROBED_HEALTH = "SHOPFLOW_PROBED_HEALTH"  # `shopflow-qa load` hands its probe to its Locust process


def probe_health(environment: Environment, handed: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Version and faults of the target; ConfigError when nothing or not ShopFlow answers.

    `handed` (a Locust process's variables): the probe `shopflow-qa load` made of the same API a
    moment before is taken as is, so a run probes once (another HTTP client and its CA bundle
    cost the generator's process ~60 ms of CPU)."""
    record = _handed_record((handed or {}).get(PROBED_HEALTH, ""))
    if record.get("api") == environment.url("api"):
        return {"version": str(record.get("version", "")), "faults": [str(f) for f in record.get("faults") or []]}
    health = deploy.probe(environment.url("api"))
    if not health.reachable:
        raise ConfigError(
            f"{environment.url('api')} unreachable ({health.error.split(':')[0]}); "
            f"try `shopflow-qa doctor --env {environment.name}`"
        )
    if health.foreign:
        raise ConfigError(f"environment '{environment.name}': {health.describe()}")
    return {"version": health.version, "faults": health.faults}


def hand_over_health(environment: Environment, health: Mapping[str, Any]) -> dict[str, str]:
    """The variable that gives `probe_health` in the Locust process this probe's result."""
    return {PROBED_HEALTH: json.dumps({"api": environment.url("api"), **health})}


def _handed_record(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text) if text else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def new_run_id() -> str:
    return os.environ.get("SHOPFLOW_RUN_ID") or (f"load-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:6]}")


VERDICT_OF_CODE = {0: "passed", 1: "failed", 2: "error", 3: "interrupted"}


def summarise(
    p: Plan,
    run_id: str,
    health: dict[str, Any],
    stats: dict[str, Any],
    verdicts: list[slo.Verdict],
    code: int,
    extra: dict[str, Any],
) -> LoadSummary:
    """The typed summary of one run (written by the locustfile at quit, amended by `shopflow-qa load`)."""
    return LoadSummary(
        profile=p.options.profile,
        verdict=VERDICT_OF_CODE.get(code, "failed"),
        exit_code=code,
        environment=p.environment.name,
        api_url=p.environment.url("api"),
        version=health.get("version"),
        faults=list(health.get("faults", [])),
        run_id=run_id,
        users=p.users,
        spawn_rate=p.spawn_rate,
        duration_s=p.duration_s,
        shape=p.options.shape,
        max_requests=p.options.max_requests,
        endpoints={name: EndpointStats.from_stats(item) for name, item in sorted(stats.get("endpoints", {}).items())},
        total=EndpointStats.from_stats(stats.get("total", {})),
        checks=stats.get("checks", {}),
        successful_checkouts=int(stats.get("checks", {}).get("checkouts", 0)),
        errors=list(stats.get("errors", [])),
        thresholds=slo.results(verdicts),
        slos=p.slos.name,
        warnings=[p.slos.warning] if p.slos.warning else [],
        **extra,
    )
