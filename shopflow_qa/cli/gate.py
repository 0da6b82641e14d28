"""The post-deploy gate: one command, one verdict, one run folder (docs/architecture.md, "Exit codes").

Stages: 1 preflight (environment, secrets, health — starting the managed local stack once
if needed), 2 wait for the deploy, 3 smoke (stop if red), 4 the other areas in ONE pytest
run under xdist, 5 the load step (a `shopflow-qa load` subprocess), 6 reports, 7 verdict.
Tests and load run as subprocesses: pytest keeps its own process model (xdist, Playwright)
and Locust never shares a process with them. Everything lands in the run folder.

The Gate is assembled from its parts: the model (gate_model), the screen (gate_screen), the
pytest step (gate_pytest), the load step (gate_load), the reports and secret scan
(gate_reports, secret_scan) and the verdict (gate_verdict); this module orders the stages.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from shopflow_qa.cli import gate_annotations, gate_summary
from shopflow_qa.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, interruption, os_problem, raise_terminated
from shopflow_qa.cli.gate_load import LoadStep
from shopflow_qa.cli.gate_model import PYTEST_NO_TESTS, GateOptions, GateState, Refused, StageFailed
from shopflow_qa.cli.gate_progress import WaitWatch
from shopflow_qa.cli.gate_pytest import areas_marker
from shopflow_qa.cli.gate_reports import ReportStep
from shopflow_qa.cli.gate_screen import GateScreen
from shopflow_qa.cli.gate_verdict import GateVerdict
from shopflow_qa.core import admin_data, deploy, local_stack, run_dir, safety
from shopflow_qa.core.api import RUN_ID_VARIABLE
from shopflow_qa.core.environment import ConfigError, Environment, resolve_environment
from shopflow_qa.core.redaction import Redactor
from shopflow_qa.core.run_secrets import MintedSecrets


class Gate(GateScreen, LoadStep, ReportStep, GateVerdict):
    """Runs the stages in order and keeps the screen to one line per stage."""

    def _stage(self, state: GateState, name: str, body: Callable[[], tuple[str, str]], spinner: str) -> None:
        """Run one stage, record its line; StageFailed records it as failed/error and propagates."""
        start = time.monotonic()
        try:
            with self._spinner(spinner, name):
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
        timeout = self.options.wait_for_deploy or 0.0
        watch = WaitWatch(timeout, time.monotonic())
        self.progress.counts(watch.snapshot)
        try:
            health = deploy.wait_for_deploy(
                state.environment.url("api"),
                self.options.expect_version,
                timeout,
                on_poll=lambda h: watch.seen(h.version, h.status if h.reachable else "not answering"),
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
        code, outcomes = self._pytest(state, "areas", areas_marker(areas), workers=self.options.workers)
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
        with self.progress:
            return self._run_stages(state)

    def _run_stages(self, state: GateState) -> int:
        options, run = self.options, state.run
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
        unwritten = ""
        with self._spinner("writing the verdict …", "verdict"):
            record = self._record(state, code, reason)
            redactor = Redactor(self._secrets(state))
            try:
                gate_summary.write_gate_json(record, run, redactor.text)
                gate_summary.write_summary(record, run, redactor.text)
            except OSError as error:  # the verdict is known: say it, then why its reports are missing
                unwritten = os_problem(error)
        if gate_annotations.enabled():
            slos = (state.load or {}).get("slos")
            for line in gate_annotations.lines(self._outcomes(state), slos if isinstance(slos, list) else [], redactor.text):
                print(line, flush=True)
        self._finish(record, unwritten=unwritten)
        return EXIT_USAGE if unwritten else code

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
        with self._spinner("purging the run's test data …", "clean-up"):
            state.test_data = admin_data.clean_up(state.environment, state.run_id, self.options.env_files)


def run_gate(options: GateOptions, console: Console | None = None) -> int:
    """Run the gate; returns the exit code (0 green, 1 red, 2 error, 3 interrupted).

    SIGTERM (a cancelled CI job) is handled like Ctrl-C: stop the child, write what exists.
    """
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        return Gate(options, console).run()
    finally:
        signal.signal(signal.SIGTERM, previous)


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
