"""The gate's pytest step: its children (pytest, `shopflow-qa load`) run in sessions of their
own with the run's environment; what a pytest run collected, selected and reported."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.errors import EXIT_FAILED, EXIT_USAGE
from shopflow_qa.cli.gate_model import (
    ARTEFACTS,
    BROWSER_ARTEFACTS,
    COLLECTION_FAILURE,
    PYTEST_FAILED,
    PYTEST_NO_TESTS,
    PYTEST_OK,
    PYTEST_TIMEOUT_S,
    GateBase,
    GateState,
    StageFailed,
)
from shopflow_qa.cli.gate_progress import pytest_counts
from shopflow_qa.cli.pytest_gate import marker_expression
from shopflow_qa.core import allure_report, processes, run_dir
from shopflow_qa.core.api import RUN_ID_VARIABLE
from shopflow_qa.core.paths import PROJECT_ROOT
from shopflow_qa.core.run_secrets import SECRETS_FILE_VARIABLE


class PytestStep(GateBase):
    """Runs the gate's children and reads what its pytest runs reported."""

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
        progress_file = state.run / "logs" / f"progress-{name}.json"
        self.progress.counts(pytest_counts(progress_file))
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
            "--shopflow-gate-progress",
            str(progress_file),
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
        parts = (["smoke"] if "smoke" in self.options.suites else []) + ([areas_marker(areas)] if areas else [])
        return " or ".join(f"({part})" for part in parts)

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

    def _suites_label(self) -> str:
        path = self.options.suites_path
        with contextlib.suppress(ValueError):
            return str(path.relative_to(PROJECT_ROOT)) + "/"
        return str(path)

    def _warn(self, state: GateState, message: str) -> None:
        if message not in state.warnings:
            state.warnings.append(message)
            self._say(f"[yellow]⚠ {message}[/]")


def areas_marker(areas: Sequence[str]) -> str:
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
    raised_lines = [item[1:].strip() for item in lines if item.startswith("E ")]
    if raised_lines:
        return raised_lines[-1][:300]
    errors = [item for item in lines if "error" in item.lower()]
    return (errors or lines or ["no output"])[-1][:300]
