"""The gate's verdict: the record gate.json and summary.md are written from, and the reason a
red gate gives."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from shopflow_qa.cli.gate_model import GateBase, GateState
from shopflow_qa.cli.pytest_gate import AREAS
from shopflow_qa.core import allure_report
from shopflow_qa.core.redaction import Redactor


class GateVerdict(GateBase):
    """Turns the state into the run's record."""

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
            not_verified=gate_summary.not_verified_of(outcomes),
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
