"""The API suites (smoke, contract, behaviour, payments) go red on each API-visible stack fault —
exactly the mapped tests, with a message naming the defect — and the same selections pass on a
healthy stack. Every fault of the stack's registry is proven by this map or the browser one."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from shopflow_stack.faults import REGISTRY
from tests.suites.api_fault_map import CI_SELECTION, EXTRA_ARGS, FAILS, FAULT_SWITCHES, SESSION_REFUSALS, WORDS
from tests.suites.browser_fault_map import FAILS as BROWSER_FAILS
from tests.suites.suite_run import run_suites

SUITES = ("suites/smoke/", "suites/api/", "suites/payments/")


@pytest.mark.parametrize("fault", sorted(CI_SELECTION))
def test_each_fault_fails_exactly_its_tests(fault: str, stack_factory, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    stack = stack_factory(
        "sqlite", faults=(FAULT_SWITCHES.get(fault, fault),), name=f"api-{fault}-{uuid.uuid4().hex[:6]}", until=request
    )
    selection = CI_SELECTION[fault]
    run = run_suites(stack, selection, tmp_path, EXTRA_ARGS.get(fault, ()))
    assert set(run.outcomes) == set(selection), run.output
    assert run.failed == set(FAILS[fault]), {n: [t[:300] for t in ts if t] for n, ts in run.outcomes.items()}
    for node in run.failed:
        texts = [text for text in run.outcomes[node] if text]
        assert all(WORDS[fault] in text for text in texts), f"{node} failed without naming {fault}: {texts[0][:800]}"


@pytest.mark.parametrize("fault", sorted(SESSION_REFUSALS))
def test_a_run_expecting_the_right_build_refuses_the_fault(
    fault: str, stack_factory, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    stack = stack_factory("sqlite", faults=(fault,), name=f"api-{fault}-{uuid.uuid4().hex[:6]}", until=request)
    selection, words = SESSION_REFUSALS[fault]
    run = run_suites(stack, selection, tmp_path, ("--expect-version", "1234567"))
    assert run.returncode != 0 and not any(run.outcomes.values()), run.output
    assert words in run.output and "Traceback" not in run.output, run.output


def test_the_selections_pass_on_a_healthy_stack(sqlite_stack, tmp_path: Path) -> None:
    selection = tuple(sorted({node for nodes in CI_SELECTION.values() for node in nodes}))
    run = run_suites(sqlite_stack, selection, tmp_path)
    assert set(run.outcomes) == set(selection) and not run.failed, {
        n: [t[:300] for t in ts if t] for n, ts in run.outcomes.items() if any(ts)
    } or run.output


def test_every_fault_is_proven_and_every_suite_can_go_red() -> None:
    proven = set(FAILS) | set(SESSION_REFUSALS) | set(BROWSER_FAILS)
    assert not set(REGISTRY) - proven, f"faults no proof covers: {sorted(set(REGISTRY) - proven)}"
    assert not proven - set(REGISTRY), f"mapped faults the stack does not have: {sorted(proven - set(REGISTRY))}"
    reddened = {node.split("::")[0] for nodes in FAILS.values() for node in nodes}
    reddened |= {node for selection, _ in SESSION_REFUSALS.values() for node in selection}
    for suite in SUITES:
        assert any(path.startswith(suite) for path in reddened), f"no fault turns {suite} red"
