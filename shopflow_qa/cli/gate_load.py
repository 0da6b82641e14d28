"""The gate's load step: `shopflow-qa load` as a child, its typed summary read back."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.errors import EXIT_USAGE
from shopflow_qa.cli.gate_model import PYTEST_TIMEOUT_S, GateState, StageFailed
from shopflow_qa.cli.gate_progress import locust_counts
from shopflow_qa.cli.gate_pytest import PytestStep
from shopflow_qa.core import allure_report, load_results
from shopflow_qa.core.durations import parse_duration
from shopflow_qa.core.load_summary import LoadSummary, LoadSummaryError


class LoadStep(PytestStep):
    """Runs the load profile against the environment and reads its SLO verdicts."""

    def _load(self, state: GateState) -> tuple[str, str]:
        env = state.environment
        profile = self.options.load_profile
        if profile is None:
            return "skipped", "--no-load"
        if env.read_only:
            state.load = {"profile": profile, "status": "skipped", "detail": f"refused on {env.name}: load"}
            return "skipped", f"refused on {env.name}: load"
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
            *(["--shape", self.options.load_shape] if self.options.load_shape else []),
            "--purge",
            "--plot",
            "--quiet",
        ]  # the load step leaves no tagged orders behind; its plots go on the load case in the report
        child_env = self._child_env(state, load_dir)
        self.progress.counts(locust_counts(load_dir, parse_duration(self.options.load_duration), time.monotonic()))
        load_dir.mkdir(parents=True, exist_ok=True)
        state.wrote_data = True
        code = self._run(f"load {profile}", command, state.run / "logs" / "load.log", child_env, PYTEST_TIMEOUT_S)
        summary_path = gate_summary.find_load_summary(load_dir) or gate_summary.find_load_summary(state.run)
        rows = []
        inconclusive = ""
        regression: dict | None = None
        if summary_path:
            try:
                load_summary = LoadSummary.read(summary_path)
                inconclusive = (
                    (load_summary.generator or {}).get("bottleneck") or "" if load_summary.verdict == "inconclusive" else ""
                )
                rows = gate_summary.slo_rows(load_summary)
                regression = load_summary.regression
                state.warnings += [f"load: {w}" for w in load_summary.warnings]  # e.g. the default SLO profile applied
                self._load_cases(state, load_summary, summary_path.parent)
            except LoadSummaryError as error:
                state.warnings.append(str(error))
        state.load = {
            "profile": profile,
            "duration": self.options.load_duration,
            "exit_code": code,
            "status": {0: "passed", 1: "failed"}.get(code, "error"),
            "summary": str(summary_path.relative_to(state.run)) if summary_path else None,
            "slos": [vars(r) for r in rows],
            "regression": regression,
        }
        breached = [r.name for r in rows if not r.passed]
        if regression and regression.get("status") == "regressed":
            breached.append(regression.get("message", "performance regression"))
        if code == 0:
            return "passed", f"{profile} {self.options.load_duration}: {len(rows)} SLOs met"
        if code == 1:
            return "failed", f"{profile}: SLO breached: {', '.join(breached) or 'see load/summary.json'}"
        if inconclusive:  # the generator, not the shop, was the limit: no verdict on the shop either way
            raise StageFailed(f"load {profile} inconclusive: {inconclusive}", EXIT_USAGE)
        raise StageFailed(f"load {profile} could not run (exit {code}); see logs/load.log", EXIT_USAGE)

    def _load_cases(self, state: GateState, summary: LoadSummary, load_dir: Path) -> None:
        """Each SLO threshold as a test case in junit.xml (merged by the reports step) and in
        Allure, with Locust's report and the latency plot on the load run's case."""
        state.extra_junit.append(load_results.write_junit(summary, state.run / load_results.JUNIT_FILE))
        version = state.health.version if state.health else ""
        load_results.write_allure(summary, load_dir, state.run / allure_report.RESULTS, state.environment.name, version)
