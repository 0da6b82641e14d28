"""The gate on screen: one line per stage, a spinner while one runs, the verdict at the end."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from shopflow_qa.cli import gate_summary
from shopflow_qa.cli.errors import EXIT_USAGE
from shopflow_qa.cli.gate_model import GateBase


class GateScreen(GateBase):
    """Everything the gate prints."""

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
    def _spinner(self, text: str, stage: str = "") -> Iterator[None]:
        """While a stage runs: its live bar on a terminal, its heartbeat lines in a log."""
        with self.progress.stage(stage or text.rstrip(" …"), text):
            yield

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
        unchecked = gate_summary.not_verified_line(record.not_verified)
        if self.options.quiet:
            print(line)
            if unchecked:
                print(unchecked)
            print(where)
        else:
            self.console.print(f"[bold {colour}]{line}[/]")
            if unchecked:
                self.console.print(unchecked, style="yellow", markup=False, highlight=False)
            self.console.print(where)
        if leftover:
            print(leftover, flush=True)
