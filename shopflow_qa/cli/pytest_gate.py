"""A tiny pytest plugin the gate loads into its pytest subprocesses (`-p shopflow_qa.cli.pytest_gate`).

It writes each test's gate area (smoke, contract, payments, checkout, admin — from its
markers) and node id into the JUnit XML as testcase properties, so the gate can count per
area from ONE xdist run without guessing from file names. With `--shopflow-gate-plan FILE`
(a `--collect-only` run) it writes the selected tests' ids, areas and markers to FILE: on a
read-only environment the gate applies the safety policy to them before it sends a request.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

AREAS = ("smoke", "contract", "payments", "checkout", "admin")
# The markers that put a test in an area: suites/api's HTTP behaviour tests (`api`) are
# gated with the contract tests, so a test marked only `api` is not left out of the gate.
AREA_MARKERS: dict[str, tuple[str, ...]] = {"contract": ("contract", "api")}
AREA_PROPERTY = "shopflow_area"
NODEID_PROPERTY = "shopflow_nodeid"


def markers_of(area: str) -> tuple[str, ...]:
    return AREA_MARKERS.get(area, (area,))


def marker_expression(area: str) -> str:
    """The `-m` expression selecting one area's tests ("contract or api" for contract)."""
    return " or ".join(markers_of(area))


def area_of(markers: set[str], order: tuple[str, ...] = AREAS) -> str:
    """The first gate area among a test's markers, or "" when it carries none."""
    return next((area for area in order if markers.intersection(markers_of(area))), "")


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
