"""The post-deploy gate: one command, one verdict, one run folder (issue 11; DESIGN.md, "Exit codes").

Stages: 1 preflight (environment, secrets, health — starting the managed local stack once
if needed), 2 wait for the deploy, 3 smoke (stop if red), 4 the other areas in ONE pytest
run under xdist, 5 the load step (a `shopflow-qa load` subprocess), 6 reports, 7 verdict.
Tests and load run as subprocesses: pytest keeps its own process model (xdist, Playwright)
and Locust never shares a process with them. Everything lands in the run folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, interruption, os_problem, raise_terminated
from shopflow_qa.cli.pytest_gate import AREAS, marker_expression
from shopflow_qa.core import admin_data, allure_report, deploy, local_stack, processes, run_dir, safety
from shopflow_qa.core.api import RUN_ID_VARIABLE
from shopflow_qa.core.environment import ConfigError, Environment, resolve_environment
from shopflow_qa.core.load_summary import LoadSummary, LoadSummaryError
from shopflow_qa.core.paths import PROJECT_ROOT
from shopflow_qa.core.redaction import Redactor, secret_forms
from shopflow_qa.core.run_secrets import SECRETS_FILE_VARIABLE, MintedSecrets

SUITES_DIR = PROJECT_ROOT / "suites"
DEFAULT_LOAD_PROFILE = "checkout_flow"
DEFAULT_LOAD_DURATION = "30s"
PYTEST_TIMEOUT_S = 30 * 60
COLLECTION_FAILURE = "collection failure"  # pytest's JUnit message for a module it could not collect
ARTEFACTS = "artefacts"
BROWSER_ARTEFACTS = ("--screenshot", "only-on-failure", "--tracing", "retain-on-failure", "--video", "retain-on-failure")

# pytest's own exit codes (ExitCode) and what they mean for a gate stage.
PYTEST_OK, PYTEST_FAILED, PYTEST_INTERRUPTED, PYTEST_INTERNAL, PYTEST_USAGE, PYTEST_NO_TESTS = range(6)


@dataclass
class GateOptions:
    """What `shopflow-qa gate` was asked to do."""

    env: str | None = None
    env_files: Sequence[str] = ()
    expect_version: str | None = None
    wait_for_deploy: float | None = None
    suites: Sequence[str] = AREAS
    load_profile: str | None = DEFAULT_LOAD_PROFILE
    load_duration: str = DEFAULT_LOAD_DURATION
    reruns: int = 0
    workers: int = 2
    quiet: bool = False
    suites_path: Path = SUITES_DIR
    pytest_args: Sequence[str] = ()


class StageFailed(Exception):
    """A stage ended the gate early; `code` is the exit code (1 red, 2 error)."""

    status = "error"

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Refused(StageFailed):
    """The safety policy refuses every selected test: verdict `refused`, exit 2, no request sent."""

    status = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


@dataclass
class GateState:
    """What the gate learnt so far; enough to write reports at any point (also on Ctrl-C)."""

    run: Path
    environment: Environment | None
    started: datetime
    monotonic_start: float
    stages: list[gate_summary.StageResult] = field(default_factory=list)
    junit_files: list[Path] = field(default_factory=list)
    health: deploy.Health | None = None
    warnings: list[str] = field(default_factory=list)
    load: dict[str, object] | None = None
    started_stack: str | None = None
    secret_leaks: list[str] = field(default_factory=list)
    minted_secrets: list[str] = field(default_factory=list, repr=False)  # never written anywhere
    run_id: str = ""  # the X-ShopFlow-Test-Run tag of everything the gate's stages create
    wrote_data: bool = False  # a stage that may create tagged data has started
    test_data: dict[str, object] | None = None  # what the clean-up did (gate.json's `test_data`)
    # On a read-only environment: the selected tests the policy refuses, by stage ("smoke",
    # "areas"), as skipped outcomes (a stage whose every test is refused is not run at all).
    refused: dict[str, list[gate_summary.TestOutcome]] = field(default_factory=dict)
    verdict: str | None = None  # set where the exit code alone does not say it ("refused")


def _load_command_available() -> bool:
    """Whether `shopflow-qa load` exists in this checkout (the load step's engineer may not have landed)."""
    import typer

    from shopflow_qa.cli.main import app

    command = typer.main.get_command(app)
    return "load" in getattr(command, "commands", {})


class Gate:
    """Runs the stages in order and keeps the screen to one line per stage."""

    def __init__(self, options: GateOptions, console: Console | None = None) -> None:
        self.options = options
        self.console = console or Console(highlight=False, soft_wrap=True)
        self._current: subprocess.Popen[bytes] | None = None
        self._minted: MintedSecrets | None = None  # secrets the children mint (customers' passwords, tokens)

    # ---- screen ---------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        if not self.options.quiet:
            self.console.print(text)

    def _line(self, stage: gate_summary.StageResult) -> None:
        style = {
            "passed": "green",
            "failed": "red",
            "error": "red",
            "refused": "red",
            "skipped": "yellow",
            "interrupted": "yellow",
        }
        mark = {"passed": "✓", "failed": "✗", "error": "✗", "refused": "✗", "skipped": "–", "interrupted": "■"}
        colour = style.get(stage.status, "white")
        self._say(
            f"[{colour}]{mark.get(stage.status, '?')}[/] {stage.name:<10} {stage.duration_s:6.1f} s  "
            f"[{colour}]{stage.status}[/]" + (f"  {stage.detail}" if stage.detail else "")
        )

    @contextlib.contextmanager
    def _spinner(self, text: str) -> Iterator[None]:
        if self.options.quiet or not self.console.is_terminal:
            yield
            return
        with self.console.status(text):
            yield

    # ---- subprocesses ---------------------------------------------------------------------

    def _run(self, what: str, command: list[str], log: Path, env: dict[str, str], timeout: float) -> int:
        """Run a child in its own session, output to `log`; Ctrl-C is forwarded, then re-raised."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            out.write(("$ " + " ".join(command) + "\n").encode())
            out.flush()
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._current = process
            try:
                return process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                processes.stop_tree(process)
                raise StageFailed(f"{what} took longer than {timeout:.0f} s (see {log})", EXIT_USAGE) from None
            except KeyboardInterrupt:
                processes.stop_tree(process)  # pytest's workers, browsers, Locust: none outlives the gate
                raise
            finally:
                self._current = None

    def _child_env(self, state: GateState, run: Path) -> dict[str, str]:
        env = dict(os.environ)
        env[run_dir.RUN_DIR_VARIABLE] = str(run)
        env[RUN_ID_VARIABLE] = state.run_id  # one tag for every stage: the gate purges it whatever stops them
        env.pop("SHOPFLOW_ENV", None)  # the gate passes --env explicitly
        env.pop(SECRETS_FILE_VARIABLE, None)
        if self._minted is not None:
            env[SECRETS_FILE_VARIABLE] = str(self._minted.path)
        env.setdefault("PYTHONUNBUFFERED", "1")
        # pytest caches its assertion rewriting of ~350 plugin modules as bytecode; without that
        # cache every pytest process (smoke, areas, each xdist worker) spends ~4 s recompiling.
        # The cache goes under the venv, never beside the sources.
        if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
            env.setdefault("PYTHONPYCACHEPREFIX", str(Path(sys.prefix) / "pycache"))
        return env

    def _env_file_args(self, flag: str = "--env-file") -> list[str]:
        return [part for path in self.options.env_files for part in (flag, str(Path(path).resolve()))]

    def _pytest(self, state: GateState, name: str, marker: str, workers: int) -> tuple[int, list[gate_summary.TestOutcome]]:
        junit = state.run / f"junit-{name}.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(self.options.suites_path),
            "-m",
            marker,
            "--env",
            state.environment.name,
            *self._env_file_args(),
            "--junitxml",
            str(junit),
            "-o",
            "junit_family=xunit2",
            "--alluredir",
            str(state.run / allure_report.RESULTS),
            "-p",
            "shopflow_qa.cli.pytest_gate",
            "-q",
            "-rfE",
            "--color=no",
            # pytest-playwright keeps a failed browser test's screenshot, trace and video in the run folder
            *BROWSER_ARTEFACTS,
            "--output",
            str(state.run / ARTEFACTS),
        ]
        if workers > 1:
            command += ["-n", str(workers)]
        if self.options.reruns:
            command += ["--reruns", str(self.options.reruns)]
        command += list(self.options.pytest_args)
        state.wrote_data = True
        code = self._run(
            f"pytest ({name})",
            command,
            state.run / "logs" / f"pytest-{name}.log",
            self._child_env(state, state.run),
            PYTEST_TIMEOUT_S,
        )
        if junit.exists():
            state.junit_files.append(junit)
        return code, gate_summary.parse_junit(junit)

    # ---- stages ---------------------------------------------------------------------------

    def _stage(self, state: GateState, name: str, body: Callable[[], tuple[str, str]], spinner: str) -> None:
        """Run one stage, record its line; StageFailed records it as failed/error and propagates."""
        start = time.monotonic()
        try:
            with self._spinner(spinner):
                status, detail = body()
        except StageFailed as failure:
            status = "failed" if failure.code == EXIT_FAILED else failure.status
            result = gate_summary.StageResult(name, status, round(time.monotonic() - start, 2), str(failure))
            state.stages.append(result)
            self._line(result)
            raise
        except (ConfigError, OSError) as error:  # OSError: the run folder is read-only or full
            message = str(error) if isinstance(error, ConfigError) else f"cannot write the run folder: {os_problem(error)}"
            result = gate_summary.StageResult(name, "error", round(time.monotonic() - start, 2), message)
            state.stages.append(result)
            self._line(result)
            raise StageFailed(message, EXIT_USAGE) from None
        except KeyboardInterrupt as interrupt:
            state.stages.append(
                gate_summary.StageResult(name, "interrupted", round(time.monotonic() - start, 2), interruption(interrupt))
            )
            self._line(state.stages[-1])
            raise
        result = gate_summary.StageResult(name, status, round(time.monotonic() - start, 2), detail)
        state.stages.append(result)
        self._line(result)

    # ---- the safety policy, before the first request ----------------------------------------

    def _apply_policy(self, state: GateState) -> None:
        """On a read-only environment (production, or any URL reaching it), find which selected
        tests the policy refuses — by collecting them, which contacts nothing — before preflight
        sends its first request. Every test refused: Refused (verdict `refused`, exit 2, the
        areas listed as skipped). A stage whose every test is refused is skipped, not run."""
        env = state.environment
        if not env.read_only or not self.options.suites_path.is_dir():
            return
        plan = self._collect(state)
        smoke = "smoke" in self.options.suites
        stages = {
            "smoke": [t for t in plan if smoke and "smoke" in t["markers"]],
            "areas": [t for t in plan if not (smoke and "smoke" in t["markers"])],
        }
        refusals: Counter[str] = Counter()
        for stage, tests in stages.items():
            refused = [
                gate_summary.TestOutcome(
                    t["nodeid"], t["area"] or gate_summary.area_from_path(t["nodeid"]), "skipped", 0.0, reason
                )
                for t in tests
                if (reason := safety.refusal(env, t["markers"]))
            ]
            refusals.update(outcome.reason for outcome in refused)
            if tests and len(refused) == len(tests):
                state.refused[stage] = refused
        if plan and refusals.total() == len(plan):
            raise Refused(safety.selection_refusal(env, refusals))

    def _collect(self, state: GateState) -> list[dict[str, Any]]:
        """The tests the gate's stages would run: ids, areas and markers (`pytest --collect-only`)."""
        plan_file = state.run / "logs" / "pytest-plan.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(self.options.suites_path),
            "-m",
            self._selection_marker(),
            "--env",
            state.environment.name,
            *self._env_file_args(),
            "--collect-only",
            "-q",
            "-p",
            "shopflow_qa.cli.pytest_gate",
            "--shopflow-gate-plan",
            str(plan_file),
            *self.options.pytest_args,
        ]
        log = state.run / "logs" / "pytest-plan.log"
        code = self._run("pytest (collection)", command, log, self._child_env(state, state.run), PYTEST_TIMEOUT_S)
        if code == PYTEST_NO_TESTS:
            return []
        if code != PYTEST_OK or not plan_file.exists():
            raise StageFailed(f"pytest could not collect the selected tests (exit {code}): {_log_reason(log)}", EXIT_USAGE)
        return json.loads(plan_file.read_text())

    def _selection_marker(self) -> str:
        areas = [a for a in self.options.suites if a != "smoke"]
        parts = (["smoke"] if "smoke" in self.options.suites else []) + ([_areas_marker(areas)] if areas else [])
        return " or ".join(f"({part})" for part in parts)

    def _refused_stage(self, state: GateState, stage: str) -> tuple[str, str]:
        """A stage whose every selected test the policy refuses: skipped, its tests counted as such."""
        counts = safety.count_refusals(Counter(outcome.reason for outcome in state.refused[stage]))
        return (
            "skipped",
            f"every {stage} test refused on {state.environment.name} ({counts}): only nondestructive tests run there",
        )

    def _preflight(self, state: GateState) -> tuple[str, str]:
        self._apply_policy(state)  # Refused: nothing is sent, not even GET /health
        env = state.environment
        for role in sorted(env.secret_variables):
            env.secret(role)  # MissingSecret: one line naming the variable, never the value
        health = deploy.probe(env.url("api"))
        detail = ""
        if not health.reachable and env.auto_start:
            stack = local_stack.start(env)
            if stack.started:
                state.started_stack = env.stack_name
            detail = f"started local stack '{env.stack_name}' on port {stack.port_base}; "
            health = deploy.probe(env.url("api"))
        if not health.reachable and self.options.wait_for_deploy is None:
            raise ConfigError(f"environment '{env.name}' unreachable: {health.describe()}")
        if health.foreign and self.options.wait_for_deploy is None:
            raise ConfigError(f"environment '{env.name}': {health.describe()}")
        state.health = health
        self._note_faults(state, health)
        return "passed", detail + (
            f"{env.name} {env.url('api')} version {health.version or '?'}"
            if health.reachable
            else f"{env.name} not answering yet; waiting for the deploy"
        )

    def _note_faults(self, state: GateState, health: deploy.Health) -> None:
        if health.faults:
            message = f"the stack reports active fault switches: {', '.join(health.faults)}"
            if message not in state.warnings:
                state.warnings.append(message)
                self._say(f"[yellow]⚠ {message}[/]")

    def _wait(self, state: GateState) -> tuple[str, str]:
        if not self.options.expect_version and self.options.wait_for_deploy is None:
            return "skipped", "no --expect-version or --wait-for-deploy"
        try:
            health = deploy.wait_for_deploy(
                state.environment.url("api"),
                self.options.expect_version,
                self.options.wait_for_deploy or 0.0,
            )
        except deploy.DeployNotLive as error:
            events = _attach_deploy_diagnostics(state.environment, state.run)
            if events is None:
                raise
            raise deploy.DeployNotLive(f"{error}; ECS service events in {events}") from None
        state.health = health
        self._note_faults(state, health)
        return "passed", f"version {health.version} live"

    def _smoke(self, state: GateState) -> tuple[str, str]:
        if not self.options.suites_path.is_dir():
            return self._no_tests(state, ["smoke"])
        if "smoke" in state.refused:
            return self._refused_stage(state, "smoke")
        code, outcomes = self._pytest(state, "smoke", "smoke", workers=1)
        if code == PYTEST_NO_TESTS:
            return self._no_tests(state, ["smoke"])
        return self._judge_pytest(state, "smoke", "smoke", code, outcomes, stop_on_red=True)

    def _areas(self, state: GateState, areas: Sequence[str]) -> tuple[str, str]:
        if not self.options.suites_path.is_dir():
            return self._no_tests(state, areas)
        if "areas" in state.refused:
            return self._refused_stage(state, "areas")
        code, outcomes = self._pytest(state, "areas", _areas_marker(areas), workers=self.options.workers)
        if code == PYTEST_NO_TESTS:
            return self._no_tests(state, areas)
        status, detail = self._judge_pytest(state, "areas", ", ".join(areas), code, outcomes, stop_on_red=False)
        present = {o.area for o in outcomes}
        empty = [a for a in areas if a not in present]
        if empty:
            self._warn(
                state,
                f"no tests yet in {', '.join(empty)} (under {self._suites_label()}): "
                f"{'that area is' if len(empty) == 1 else 'those areas are'} not verified",
            )
            detail += f"; no tests in {', '.join(empty)}"
        return status, detail

    def _no_tests(self, state: GateState, areas: Sequence[str]) -> tuple[str, str]:
        """An area with no tests yet is a warning and a skipped stage, not a crash; a gate with
        no tests at all is an error at the verdict (`_verdict_without_tests`)."""
        where = self._suites_label()
        if not self.options.suites_path.is_dir():
            detail = f"no suites folder at {where}"
            self._warn(state, f"{detail}: no area is verified")
        else:
            detail = f"no {', '.join(areas)} tests under {where}"
            self._warn(state, f"{detail}: {'that area is' if len(areas) == 1 else 'those areas are'} not verified")
        return "skipped", detail

    def _suites_label(self) -> str:
        path = self.options.suites_path
        with contextlib.suppress(ValueError):
            return str(path.relative_to(PROJECT_ROOT)) + "/"
        return str(path)

    def _warn(self, state: GateState, message: str) -> None:
        if message not in state.warnings:
            state.warnings.append(message)
            self._say(f"[yellow]⚠ {message}[/]")

    def _judge_pytest(
        self, state: GateState, name: str, what: str, code: int, outcomes: list[gate_summary.TestOutcome], stop_on_red: bool
    ) -> tuple[str, str]:
        """pytest's exit code and the JUnit results → the stage's status (or StageFailed)."""
        counts = gate_summary.count_areas(outcomes, order=())
        passed = sum(c.passed for c in counts)
        bad = sum(c.failed + c.errors for c in counts)
        skipped = sum(c.skipped for c in counts)
        detail = f"{passed} passed, {bad} failed, {skipped} skipped"
        uncollectable = [o for o in outcomes if o.reason == COLLECTION_FAILURE]
        if code not in (PYTEST_OK, PYTEST_FAILED) or (code == PYTEST_FAILED and not outcomes) or uncollectable:
            # exit 1 without a single result is pytest failing to start (a broken conftest), not a
            # red test; so is a module that cannot be collected (under xdist that is exit 1, not 2)
            log = state.run / "logs" / f"pytest-{name}.log"
            raise StageFailed(f"pytest could not run the {what} tests (exit {code}): {_log_reason(log)}", EXIT_USAGE)
        if code == PYTEST_FAILED or bad:
            if stop_on_red:
                raise StageFailed(f"{what} red: {detail}", EXIT_FAILED)
            return "failed", detail
        return "passed", detail

    def _load(self, state: GateState) -> tuple[str, str]:
        env = state.environment
        profile = self.options.load_profile
        if profile is None:
            return "skipped", "--no-load"
        if env.read_only:
            state.load = {"profile": profile, "status": "skipped", "detail": f"refused on {env.name}: load"}
            return "skipped", f"refused on {env.name}: load"
        if not _load_command_available():
            message = "the load step was skipped: `shopflow-qa load` is not available in this checkout"
            state.warnings.append(message)
            state.load = {"profile": profile, "status": "skipped", "detail": message}
            return "skipped", "`shopflow-qa load` not available"
        load_dir = state.run / "load"
        command = [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            profile,
            "--env",
            env.name,
            *self._env_file_args(),
            "--duration",
            self.options.load_duration,
            "--purge",
            "--quiet",
        ]  # the load step leaves no tagged orders behind
        child_env = self._child_env(state, load_dir)
        load_dir.mkdir(parents=True, exist_ok=True)
        state.wrote_data = True
        code = self._run(f"load {profile}", command, state.run / "logs" / "load.log", child_env, PYTEST_TIMEOUT_S)
        summary_path = gate_summary.find_load_summary(load_dir) or gate_summary.find_load_summary(state.run)
        rows = []
        if summary_path:
            try:
                rows = gate_summary.slo_rows(LoadSummary.read(summary_path))
            except LoadSummaryError as error:
                state.warnings.append(str(error))
        state.load = {
            "profile": profile,
            "duration": self.options.load_duration,
            "exit_code": code,
            "status": {0: "passed", 1: "failed"}.get(code, "error"),
            "summary": str(summary_path.relative_to(state.run)) if summary_path else None,
            "slos": [vars(r) for r in rows],
        }
        breached = [r.name for r in rows if not r.passed]
        if code == 0:
            return "passed", f"{profile} {self.options.load_duration}: {len(rows)} SLOs met"
        if code == 1:
            return "failed", f"{profile}: SLO breached: {', '.join(breached) or 'see load/summary.json'}"
        raise StageFailed(f"load {profile} could not run (exit {code}); see logs/load.log", EXIT_USAGE)

    def _reports(self, state: GateState) -> tuple[str, str]:
        """Build the reports, then scan the whole run folder for the environment's secrets:
        a report holding a secret in any form fails the gate (it would be uploaded as an artifact)."""
        status, detail = self._build_reports(state)
        leaks = secret_leaks(state.run, self._secrets(state))
        if leaks:
            state.secret_leaks = [str(path) for path in leaks]
            message = (
                f"a secret value is written in {', '.join(map(str, leaks[:5]))}"
                + (f" and {len(leaks) - 5} more" if len(leaks) > 5 else "")
                + ": redaction failed upstream"
            )
            state.warnings.append(message)
            self._say(f"[red]⚠ {message}[/]")
            return "failed", "secret found in the run folder"
        return status, detail

    def _build_reports(self, state: GateState) -> tuple[str, str]:
        env = state.environment
        gate_summary.merge_junit(state.junit_files, state.run / "junit.xml")
        results = state.run / allure_report.RESULTS
        if not results.is_dir() or not any(results.glob("*-result.json")):
            return "skipped", "no Allure results"
        properties = {
            "env": env.name,
            **{f"url.{k}": v for k, v in env.urls.items()},
            "version": state.health.version if state.health else "",
            "browser": _browser_name(),
            "expected_version": self.options.expect_version or "",
        }
        allure_report.write_environment(results, properties, env.secret_values())
        try:
            html = allure_report.generate(state.run, env.name, secrets=self._secrets(state), warn=state.warnings.append)
        except allure_report.AllureMissing as error:
            state.warnings.append(f"no HTML report: {error}")
            return "skipped", str(error)
        stats = allure_report.report_stats(state.run)
        return "passed", f"{html.relative_to(state.run)} ({stats.get('total', '?')} tests)"

    # ---- the sequence ---------------------------------------------------------------------

    def run(self) -> int:
        options = self.options
        environment = resolve_environment(options.env, options.env_files)  # ConfigError → one line, exit 2
        run = run_dir.create_run_dir(environment.name, "gate", export=False)
        state = GateState(
            run,
            environment,
            datetime.now(UTC),
            time.monotonic(),
            run_id=os.environ.get(RUN_ID_VARIABLE) or f"{run.name}-{secrets.token_hex(3)}",
        )
        self._minted = MintedSecrets.create()
        self._say(f"[bold]ShopFlow gate[/] on [bold]{environment.name}[/] → {run}")
        code, reason = EXIT_OK, ""
        areas = [a for a in options.suites if a != "smoke"]
        try:
            try:
                self._stage(state, "preflight", lambda: self._preflight(state), "checking the environment …")
                self._stage(state, "wait", lambda: self._wait(state), "waiting for the deploy …")
                if "smoke" in options.suites:
                    self._stage(state, "smoke", lambda: self._smoke(state), "smoke tests …")
                if areas:
                    self._stage(state, "areas", lambda: self._areas(state, areas), f"{', '.join(areas)} (-n {options.workers}) …")
                self._stage(state, "load", lambda: self._load(state), f"load {options.load_profile} …")
            except StageFailed as failure:
                code, reason = failure.code, str(failure)
                if isinstance(failure, Refused):
                    state.verdict = "refused"
            except KeyboardInterrupt as interrupt:
                code, reason = EXIT_INTERRUPTED, f"interrupted ({interruption(interrupt)}): partial reports written"
            self._clean_up(state)
            try:
                self._stage(state, "reports", lambda: self._reports(state), "building the report …")
            except (StageFailed, KeyboardInterrupt) as error:
                state.warnings.append(f"reports incomplete: {error or 'interrupted'}")
            if code == EXIT_OK and any(s.status == "failed" for s in state.stages):
                code, reason = EXIT_FAILED, self._red_reason(state)
            if code == EXIT_OK and not self._outcomes(state) and (areas or "smoke" in options.suites):
                code, reason = (
                    EXIT_USAGE,
                    (
                        f"no tests ran: none found for {', '.join(options.suites)} under "
                        f"{self._suites_label()}, so nothing was verified"
                    ),
                )
        finally:
            self._forget_minted_file(state)
            if state.started_stack:
                with contextlib.suppress(Exception):
                    local_stack.stop(state.started_stack)
        record = self._record(state, code, reason)
        redactor = Redactor(self._secrets(state))
        try:
            gate_summary.write_gate_json(record, run, redactor.text)
            gate_summary.write_summary(record, run, redactor.text)
        except OSError as error:  # the verdict is known: say it, then why its reports are missing
            self._finish(record, unwritten=os_problem(error))
            return EXIT_USAGE
        self._finish(record)
        return code

    def _secrets(self, state: GateState) -> list[str]:
        """Every secret the run's reports must not hold: the environment's, and those its
        pytest processes minted (from the run's private file while it exists)."""
        if self._minted is not None:
            state.minted_secrets = self._minted.read()
        return [*state.environment.secret_values(), *state.minted_secrets]

    def _forget_minted_file(self, state: GateState) -> None:
        """Once no child runs any more: the minted secrets kept in memory, their file deleted."""
        if self._minted is not None:
            self._secrets(state)
            self._minted.remove()
            self._minted = None

    def _clean_up(self, state: GateState) -> None:
        """Purge what the stages tagged, however they ended (green, red, Ctrl-C, SIGTERM, a crashed
        child): the stages purge their own data, this catches what an interrupted or crashed one
        left. When the target cannot be reached, the run id and the exact command go to the
        screen, gate.json and summary.md."""
        if not state.wrote_data:
            return
        with self._spinner("purging the run's test data …"):
            state.test_data = admin_data.clean_up(state.environment, state.run_id, self.options.env_files)

    @staticmethod
    def _outcomes(state: GateState) -> list[gate_summary.TestOutcome]:
        """Every test's result: from the JUnit files, plus those of stages the policy refused whole."""
        refused = [o for outcomes in state.refused.values() for o in outcomes]
        return [o for path in state.junit_files for o in gate_summary.parse_junit(path)] + refused

    def _record(self, state: GateState, code: int, reason: str) -> gate_summary.GateRecord:
        env = state.environment
        outcomes = self._outcomes(state)
        redactor = Redactor(self._secrets(state))
        failures = gate_summary.failures_of(outcomes)
        for failure in failures:
            failure["reason"] = redactor.text(failure["reason"])
        report = state.run / allure_report.REPORT / "index.html"
        verdict = state.verdict or {EXIT_OK: "passed", EXIT_FAILED: "failed", EXIT_INTERRUPTED: "interrupted"}.get(code, "error")
        return gate_summary.GateRecord(
            verdict=verdict,
            exit_code=code,
            reason=reason,
            environment={"name": env.name, "urls": env.urls, "read_only": env.read_only, "managed_stack": env.managed_stack},
            version={"expected": self.options.expect_version, "deployed": state.health.version if state.health else None},
            started_at=state.started.isoformat(timespec="seconds"),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            duration_s=round(time.monotonic() - state.monotonic_start, 1),
            run_dir=str(state.run),
            report=str(report.relative_to(state.run)) if report.exists() else None,
            faults=list(state.health.faults) if state.health else [],
            warnings=state.warnings,
            stages=state.stages,
            areas=[
                a
                for a in gate_summary.count_areas(outcomes, order=self._area_order())
                if a.tests or a.name in self.options.suites
            ],
            failures=failures,
            load=state.load,
            run_id=state.run_id,
            test_data=state.test_data,
            options={
                "suites": list(self.options.suites),
                "reruns": self.options.reruns,
                "workers": self.options.workers,
                "load_profile": self.options.load_profile,
                "load_duration": self.options.load_duration,
                "wait_for_deploy": self.options.wait_for_deploy,
            },
        )

    def _red_reason(self, state: GateState) -> str:
        """ "red in checkout (1 failed), load (SLO breached: …)": the failing areas by name."""
        outcomes = self._outcomes(state)
        parts = [
            f"{a.name} ({a.failed + a.errors} failed)"
            for a in gate_summary.count_areas(outcomes, order=self._area_order())
            if a.failed or a.errors
        ]
        parts += [f"load ({s.detail})" for s in state.stages if s.name == "load" and s.status == "failed"]
        if state.secret_leaks:
            parts.append(f"reports (a secret in {', '.join(state.secret_leaks[:3])})")
        return "red in " + ", ".join(parts) if parts else "red"

    def _area_order(self) -> tuple[str, ...]:
        return tuple(a for a in AREAS if a in self.options.suites)

    def _finish(self, record: gate_summary.GateRecord, unwritten: str = "") -> None:
        """The verdict line (and where the reports are); `unwritten`: why gate.json and summary.md
        could not be written, which makes the exit 2 whatever the tests said."""
        colour = {"passed": "green", "failed": "red", "refused": "red"}.get(record.verdict, "yellow")
        if unwritten:
            line = f"gate {record.verdict.upper()} by its stages, but no reports (exit {EXIT_USAGE}) in {record.duration_s:.0f} s"
        else:
            line = f"gate {record.verdict.upper()} (exit {record.exit_code}) in {record.duration_s:.0f} s"
        if record.reason:
            line += f": {record.reason}"
        if unwritten:
            print(f"shopflow-qa: error: cannot write the gate's reports in {record.run_dir}: {unwritten}", file=sys.stderr)
        elif record.verdict in ("error", "refused"):
            print(f"shopflow-qa: error: {record.reason}", file=sys.stderr)
        where = f"  summary: {record.run_dir}/summary.md" + (
            f"  report: {record.run_dir}/{record.report}" if record.report else ""
        )
        if unwritten:
            where = f"  run folder: {record.run_dir} (gate.json and summary.md not written)"
        left = record.test_data or {}
        leftover = (
            (
                f"  test data of run {record.run_id} may be left ({left.get('detail')}): "
                f"purge it with `{left.get('purge_command')}`"
            )
            if left.get("status") == "left"
            else ""
        )
        if self.options.quiet:
            print(line)
            print(where)
        else:
            self.console.print(f"[bold {colour}]{line}[/]")
            self.console.print(where)
        if leftover:
            print(leftover, flush=True)


def _areas_marker(areas: Sequence[str]) -> str:
    """The `-m` expression of the areas stage: its areas' tests, smoke tests excepted."""
    return f"({' or '.join(marker_expression(a) for a in areas)}) and not smoke"


def _log_reason(log: Path) -> str:
    """The line of a subprocess log most likely to say why it could not run: pytest's internal
    error, else its `E   …` line (naming the file it was collecting), else the last line with "error"."""
    try:
        lines = [
            item.strip() for item in log.read_text(errors="replace").splitlines() if item.strip() and not item.startswith("$ ")
        ]
    except OSError:
        return "no output"
    internal = [item for item in lines if item.startswith("INTERNALERROR>") and item.removeprefix("INTERNALERROR>").strip()]
    if internal:
        return internal[-1][:300]
    start = next((i for i, item in enumerate(lines) if "ERROR collecting " in item), None)
    if start is not None:  # the module pytest could not collect, and the first error it raised
        module = lines[start].strip("_ ").removeprefix("ERROR collecting ")
        raised = next((item[1:].strip() for item in lines[start:] if item.startswith("E ")), "")
        return f"collecting {module}: {raised or 'see the log'}"[:300]
    raised = [item[1:].strip() for item in lines if item.startswith("E ")]
    if raised:
        return raised[-1][:300]
    errors = [item for item in lines if "error" in item.lower()]
    return (errors or lines or ["no output"])[-1][:300]


def secret_leaks(run: Path, secrets: Sequence[str]) -> list[Path]:
    """Files of the run folder holding one of `secrets` in any form the redactor knows
    (plain, URL-encoded, base64 at each alignment), also inside zip archives (Playwright
    traces compress their network log): the redaction proof, run on a whole gate.
    A hit inside an archive is named `archive.zip!member`."""
    needles = sorted({form.encode() for secret in secrets if secret for form in secret_forms(secret)})
    if not needles:
        return []
    leaks: list[Path] = []
    for path in sorted(run.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if any(needle in data for needle in needles):
            leaks.append(path.relative_to(run))
        elif data[:4] == b"PK\x03\x04":
            leaks += [Path(f"{path.relative_to(run)}!{member}") for member in _zip_leaks(path, needles)]
    return leaks


def _zip_leaks(path: Path, needles: Sequence[bytes]) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and any(needle in archive.read(info) for needle in needles)
            ]
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return []  # not a readable archive: its raw bytes were scanned already


def _browser_name() -> str:
    from shopflow_qa.core.browser import BrowserNotFound, find_chromium

    try:
        return f"chromium ({find_chromium()})"
    except BrowserNotFound:  # informational here; a missing browser is the browser suites' concern
        return "chromium (not found)"


def run_gate(options: GateOptions, console: Console | None = None) -> int:
    """Run the gate; returns the exit code (0 green, 1 red, 2 error, 3 interrupted).

    SIGTERM (a cancelled CI job) is handled like Ctrl-C: stop the child, write what exists.
    """
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return Gate(options, console).run()
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---- issue 12 (ops): why a deploy did not go live ---------------------------------------


def _attach_deploy_diagnostics(environment: Environment, run: Path) -> Path | None:
    """On a deploy-wait timeout, write the ECS services' recent events into the run folder."""
    from shopflow_qa.core.diagnostics import deploy_timeout_report

    report = deploy_timeout_report(environment)
    if report is None:
        return None
    path = run / "diagnostics" / "ecs-service-events.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report)
    return path
