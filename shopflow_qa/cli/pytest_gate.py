"""A tiny pytest plugin the gate loads into its pytest subprocesses (`-p shopflow_qa.cli.pytest_gate`).

It writes each test's gate area (smoke, contract, payments, checkout, admin — from its
markers) and node id into the JUnit XML as testcase properties, so the gate can count per
area from ONE xdist run without guessing from file names. With `--shopflow-gate-plan FILE`
(a `--collect-only` run) it writes the selected tests' ids, areas and markers to FILE: on a
read-only environment the gate applies the safety policy to them before it sends a request.
With `--shopflow-gate-progress FILE` the controlling process (never an xdist worker) rewrites
FILE with the counts so far after each result: the gate's heartbeat and progress bar read it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shopflow_qa.core.areas import AREAS, area_of, markers_of

__all__ = ["AREAS", "area_of", "markers_of", "marker_expression"]

AREA_PROPERTY = "shopflow_area"
NODEID_PROPERTY = "shopflow_nodeid"


def marker_expression(area: str) -> str:
    """The `-m` expression selecting one area's tests ("contract or api" for contract)."""
    return " or ".join(markers_of(area))


def test_id(item: pytest.Item) -> str:
    """The node id, with the item's own name where the id lacks it: schemathesis gives every
    operation of one test the same node id (`…::test_reads`) but its own name
    (`test_reads[GET /api/products]`); keyed on the bare id they would fold into one test
    with "re-runs"."""
    if item.nodeid.endswith(item.name):
        return item.nodeid
    return f"{item.nodeid.rpartition('::')[0]}::{item.name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shopflow-gate-plan",
        dest="shopflow_gate_plan",
        metavar="FILE",
        default=None,
        help="(the gate's) write the selected tests' ids, areas and markers to FILE as JSON",
    )
    parser.addoption(
        "--shopflow-gate-progress",
        dest="shopflow_gate_progress",
        metavar="FILE",
        default=None,
        help="(the gate's) keep the counts of results so far in FILE as JSON",
    )


class _Progress:
    """Counts of one pytest run's results, rewritten atomically (the gate reads it any time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total: int | None = None
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}
        self.write()

    def write(self) -> None:
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(json.dumps({"total": self.total, **self.counts}))
        os.replace(partial, self.path)

    def add(self, report: pytest.TestReport) -> None:
        if report.outcome == "rerun":  # pytest-rerunfailures: the test is not done yet
            return
        if report.failed:
            self.counts["failed"] += 1  # a failing call, setup (error) or teardown
        elif report.skipped:
            self.counts["skipped"] += 1
        elif report.when == "call":
            self.counts["passed"] += 1
        else:
            return
        self.write()


_progress: list[_Progress] = []  # this process's counts, when it is the controlling one


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("shopflow_gate_progress", None)
    if path and not hasattr(config, "workerinput"):  # xdist workers' results reach the controller
        _progress.append(_Progress(Path(path)))


def pytest_unconfigure(config: pytest.Config) -> None:
    _progress.clear()


def _set_total(total: int) -> None:
    for progress in _progress:
        if progress.total is None:
            progress.total = total
            progress.write()


def pytest_collection_finish(session: pytest.Session) -> None:
    _set_total(len(session.items))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    _set_total(len(ids))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for progress in _progress:
        progress.add(report)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    plan = []
    for item in items:
        markers = {mark.name for mark in item.iter_markers()}
        item.user_properties.append((AREA_PROPERTY, area_of(markers)))
        item.user_properties.append((NODEID_PROPERTY, test_id(item)))
        plan.append({"nodeid": test_id(item), "area": area_of(markers), "markers": sorted(markers)})
    path = config.getoption("shopflow_gate_plan", None)
    if path:
        Path(path).write_text(json.dumps(plan))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Give Allure the same distinction: an item whose node id lacks its name (schemathesis'
    operations) gets its name's parameter part as an Allure parameter, so each operation has
    its own history id instead of being shown as a retry of the previous one."""
    if not item.nodeid.endswith(item.name) and "[" in item.name:
        try:
            import allure
        except ImportError:
            pass
        else:
            allure.dynamic.parameter("case", item.name[item.name.index("[") + 1 :].rstrip("]"))
    return (yield)
