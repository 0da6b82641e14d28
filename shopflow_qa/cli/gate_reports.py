"""The gate's reports: the Allure report, then a scan of the whole run folder for secrets."""

from __future__ import annotations

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.gate_model import GateState
from shopflow_qa.cli.gate_pytest import PytestStep
from shopflow_qa.cli.secret_scan import secret_leaks
from shopflow_qa.core import allure_report


class ReportStep(PytestStep):
    """Builds the reports and fails the gate on a leaked secret."""

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
        gate_summary.merge_junit([*state.junit_files, *state.extra_junit], state.run / "junit.xml")
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


def _browser_name() -> str:
    from shopflow_qa.core.browser import BrowserNotFound, find_chromium

    try:
        return f"chromium ({find_chromium()})"
    except BrowserNotFound:  # informational here; a missing browser is the browser suites' concern
        return "chromium (not found)"
