"""The browser suites go red on each browser-visible fault — exactly the mapped journeys, with
a message naming the defect — and the same selections pass on a healthy stack."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.suites.browser_fault_map import CI_SELECTION, FAILS, WORDS

REPO = Path(__file__).resolve().parents[2]


def run_suites(stack, selection: tuple[str, ...], tmp_path: Path, timeout_ms: int = 6000) -> dict[str, str]:
    """Run `selection` against `stack` in a pytest of its own; {node id: failure text or ""}.
    Waits are shortened: a fault is expected, and a local stack answers in milliseconds."""
    junit = tmp_path / "junit.xml"
    env = {**os.environ, "SHOPFLOW_BROWSER_TIMEOUT_MS": str(timeout_ms)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *selection,
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
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).iter("testcase"):
        node = f"{case.get('file')}::{case.get('name', '').split('[')[0]}"
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        outcomes[node] = (
            "SKIPPED" if skipped is not None else ("" if problem is None else (problem.get("message", "") + (problem.text or "")))
        )
    return outcomes


@pytest.mark.parametrize("fault", sorted(CI_SELECTION))
def test_each_fault_fails_exactly_its_journeys(fault: str, stack_factory, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    stack = stack_factory("sqlite", faults=(fault,), until=request)
    selection = CI_SELECTION[fault]
    outcomes = run_suites(stack, selection, tmp_path)
    assert set(outcomes) == set(selection), outcomes
    failed = {node for node, text in outcomes.items() if text and text != "SKIPPED"}
    assert failed == set(selection) & set(FAILS[fault]), {n: t[:300] for n, t in outcomes.items()}
    for node in failed:
        assert WORDS[fault] in outcomes[node], f"{node} failed without naming {fault}: {outcomes[node][:600]}"


def test_the_selections_pass_on_a_healthy_stack(sqlite_stack, tmp_path: Path) -> None:
    selection = tuple(sorted({node for nodes in CI_SELECTION.values() for node in nodes}))
    outcomes = run_suites(sqlite_stack, selection, tmp_path, timeout_ms=15000)
    assert outcomes and all(text == "" for text in outcomes.values()), {n: t[:300] for n, t in outcomes.items() if t}
