"""The gate's areas (smoke, contract, payments, checkout, admin) and which markers put a test in
one: the gate counts by them, the Allure report groups by them (feature and parent suite)."""

from __future__ import annotations

from collections.abc import Iterable

AREAS = ("smoke", "contract", "payments", "checkout", "admin")
# The markers that put a test in an area: suites/api's HTTP behaviour tests (`api`) are
# gated with the contract tests, so a test marked only `api` is not left out of the gate.
AREA_MARKERS: dict[str, tuple[str, ...]] = {"contract": ("contract", "api")}
# Areas whose failure stops a release at once: the report marks their tests critical.
CRITICAL_AREAS = frozenset({"smoke", "payments"})


def markers_of(area: str) -> tuple[str, ...]:
    return AREA_MARKERS.get(area, (area,))


def area_of(markers: Iterable[str], order: tuple[str, ...] = AREAS) -> str:
    """The first gate area among a test's markers, or "" when it carries none."""
    names = set(markers)
    return next((area for area in order if names.intersection(markers_of(area))), "")


def severity_of(markers: Iterable[str]) -> str:
    """Allure's severity for a test: critical for smoke and payments tests, else normal."""
    return "critical" if CRITICAL_AREAS.intersection(markers) else "normal"
