"""Run a selection of the suites against a named stack in a pytest process of its own, as a
user would (`--env NAME --env-file FILE`), and read each test's outcome from its JUnit XML."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class SuiteRun:
    outcomes: dict[str, list[str]]  # node id (no parameters) → failure texts ("" for a pass)
    returncode: int
    output: str

    @property
    def failed(self) -> set[str]:
        return {node for node, texts in self.outcomes.items() if any(texts)}


def run_suites(stack, selection: tuple[str, ...], tmp_path: Path, extra: tuple[str, ...] = ()) -> SuiteRun:
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *selection,
            *extra,
            "--env",
            stack.name,
            "--env-file",
            str(stack.env_file),
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-q",
            f"--junitxml={junit}",
            "-o",
            "junit_family=xunit1",
        ],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes: dict[str, list[str]] = {}
    if junit.exists():
        for case in ET.parse(junit).iter("testcase"):
            # classname, not file: schemathesis's tests are defined inside schemathesis
            node = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name', '').split('[')[0]}"
            problem = case.find("failure") if case.find("failure") is not None else case.find("error")
            text = "" if problem is None else (problem.get("message", "") + (problem.text or ""))
            outcomes.setdefault(node, []).append(text)
    return SuiteRun(outcomes, done.returncode, done.stdout[-3000:] + done.stderr[-2000:])
