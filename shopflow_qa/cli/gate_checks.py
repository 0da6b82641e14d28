"""Everything the gate is asked, checked before it starts: every problem at once, one line each.

A CI job that fails after ten minutes of smoke tests because `--load-duration 500ms` was a
typo wastes the ten minutes and hides the other typos behind it. So the gate reads all its
options, resolves the environment, looks up every secret and plans the load step (the load
command's own plan: profile, shape, duration, SLOs) before it creates a run folder, starts a
stack or sends a request. Only files are read here; nothing contacts the target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from shopflow_qa.cli.gate_model import SUITES_DIR, GateOptions
from shopflow_qa.cli.pytest_gate import AREAS
from shopflow_qa.core.deploy import check_expected_version
from shopflow_qa.core.durations import parse_duration
from shopflow_qa.core.environment import ConfigError, Environment, resolve_environment
from shopflow_qa.core.load_plan import LoadOptions, check_profile, check_shape, plan

MAX_WORKERS = 8  # xdist workers of the areas stage; each runs browsers on a shared CI runner
MAX_RERUNS = 5
T = TypeVar("T")


class GateProblems(ConfigError):
    """One or more problems with what the gate was asked; each is one line (exit 2)."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass
class GateArgs:
    """The gate's options as typed on the command line, before any is trusted."""

    env: str | None = None
    env_files: Sequence[str] = ()
    expect_version: str | None = None
    wait_for_deploy: str | None = None
    suites: Sequence[str] = ()
    load: str = "checkout_flow"
    no_load: bool = False
    load_shape: str | None = None
    load_duration: str = "30s"
    workers: str = "2"
    reruns: str = "0"
    quiet: bool = False
    heartbeat: str = "10s"
    pytest_args: Sequence[str] = ()
    suites_path: Path = SUITES_DIR


def check(args: GateArgs) -> tuple[GateOptions, Environment]:
    """GateOptions and the environment, or GateProblems listing every problem found."""
    problems: list[str] = []

    def attempt(call: Callable[..., T], *values: Any) -> T | None:
        try:
            return call(*values)
        except ConfigError as error:
            problems.append(str(error))
            return None

    suites = attempt(_suites, args.suites)
    expect = attempt(check_expected_version, args.expect_version) if args.expect_version is not None else None
    wait = attempt(_seconds_or_off, "--wait-for-deploy", args.wait_for_deploy) if args.wait_for_deploy is not None else None
    workers = attempt(_count, "--workers", args.workers, 1, MAX_WORKERS)
    reruns = attempt(_count, "--reruns", args.reruns, 0, MAX_RERUNS)
    heartbeat = attempt(_seconds_or_off, "--heartbeat", args.heartbeat)
    load_ok = True
    if not args.no_load:
        load_ok = _check_load(args, problems)
    environment = attempt(resolve_environment, args.env, list(args.env_files))
    secrets_ok = environment is not None and _check_secrets(environment, problems)
    if environment is not None and secrets_ok and load_ok and not args.no_load and not environment.read_only:
        # the load command's own plan (SLOs for this environment, its users): the same answer
        # the load step would give ten minutes later
        attempt(_plan_load, args)
    if problems:
        raise GateProblems(problems)
    assert environment is not None and suites is not None and workers is not None and reruns is not None
    assert heartbeat is not None
    options = GateOptions(
        env=args.env,
        env_files=list(args.env_files),
        expect_version=expect,
        wait_for_deploy=wait,
        suites=suites,
        load_profile=None if args.no_load else args.load,
        load_shape=args.load_shape,
        load_duration=args.load_duration,
        reruns=reruns,
        workers=workers,
        quiet=args.quiet,
        heartbeat_s=heartbeat,
        pytest_args=list(args.pytest_args),
        suites_path=args.suites_path.resolve(),
    )
    return options, environment


def _suites(values: Sequence[str]) -> list[str]:
    chosen = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = [s for s in chosen if s not in AREAS]
    if unknown:
        names = ", ".join(f"'{s}'" for s in unknown)
        raise ConfigError(f"--suites: unknown area{'s' if len(unknown) > 1 else ''} {names} (known: {', '.join(AREAS)})")
    return [a for a in AREAS if a in chosen] if chosen else list(AREAS)


def _count(option: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{option}: expected a whole number between {low} and {high}, got {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{option}: must be between {low} and {high}, got {value}")
    return value


def _seconds_or_off(option: str, text: str) -> float:
    """0 (`--wait-for-deploy`: one look; `--heartbeat`: no lines), else a duration: 900, 15m."""
    if text.strip() in ("0", "0s"):
        return 0.0
    return parse_duration(text, option)


def _check_load(args: GateArgs, problems: list[str]) -> bool:
    before = len(problems)
    try:
        check_profile(args.load)
    except ConfigError as error:
        problems.append(f"--load: {error}")
    for check in (
        lambda: check_shape(args.load_shape, "--load-shape"),
        lambda: parse_duration(args.load_duration, "--load-duration"),
    ):
        try:
            check()
        except ConfigError as error:
            problems.append(str(error))
    return len(problems) == before


def _check_secrets(environment: Environment, problems: list[str]) -> bool:
    """Every secret the gate's stages need, each missing one named by its variable (never a value)."""
    missing = []
    for role in sorted(environment.secret_variables):
        try:
            environment.secret(role)
        except ConfigError as error:
            missing.append(str(error))
    problems.extend(missing)
    return not missing


def _plan_load(args: GateArgs) -> None:
    try:
        plan(
            LoadOptions(
                profile=args.load,
                env=args.env,
                env_files=list(args.env_files),
                duration=args.load_duration,
                shape=args.load_shape,
            )
        )
    except ConfigError as error:
        raise ConfigError(f"--load {args.load}: {error}") from None
