"""GitHub Actions annotations: failed tests and breached SLOs as `::error` lines in the job log.

The gate's pytest and Locust children write to log files in the run folder, so a pytest plugin
that annotates from inside pytest (pytest-github-actions-annotate-failures) would annotate a
file nobody reads; the gate prints them itself, from the same results as gate.json, through
the same redactor (a failure message never carries a secret into the Actions UI).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence

from shopflow_qa.cli import gate_summary

MAX_ANNOTATIONS = 50  # GitHub shows at most 10 errors per step anyway; the rest is in summary.md


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get("GITHUB_ACTIONS") == "true"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def lines(
    outcomes: Iterable[gate_summary.TestOutcome],
    slos: Sequence[Mapping[str, object]],
    redact: Callable[[str], str],
) -> list[str]:
    """`::error` commands for each failed test (with its file) and each breached SLO."""
    found = []
    for outcome in outcomes:
        if outcome.outcome not in ("failed", "error"):
            continue
        path = outcome.nodeid.split("::", 1)[0]
        where = f"file={_property(path)}," if path.endswith(".py") else ""
        title = _property(redact(f"{outcome.outcome}: {outcome.nodeid}"))
        found.append(f"::error {where}title={title}::{_data(redact(outcome.reason or outcome.outcome))}")
    for row in slos:
        if not row.get("passed", True):
            message = f"SLO breached: {row.get('name')} measured {row.get('measured')}, limit {row.get('limit')}"
            found.append(f"::error title=SLO breached::{_data(redact(message))}")
    return found[:MAX_ANNOTATIONS]
