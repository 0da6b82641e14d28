"""Which set-up and tear-down entries a reader sees on a test's Allure page.

allure-pytest writes one entry per fixture a test used and one per finalizer: dozens for a
browser test (pytest-playwright's, pytest's own, the harness's internal ones), most named
`…::<lambda>` with no status. A reader cares about the test's own data — a customer, a guest
e-mail, the seeded catalogue — and about anything that failed. `fold_container` keeps those,
under readable titles, and drops the rest before the container is written. Plain Python over
allure-python-commons' model: no pytest import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SHOWN_STATUSES = frozenset({"failed", "broken"})  # a failing set-up or clean-up always stays
CLEAN_UP = "clean-up"


def fold_container(container: Any, titles: Mapping[str, str]) -> None:
    """Keep, in `container` (a TestResultContainer), the set-up entries of fixtures named in
    `titles` (renamed to their title) and their yield clean-up (`name::1`, titled
    "<title> (clean-up)"); drop every other entry unless it failed."""
    container.befores = [_renamed(entry, titles, clean_up=False) for entry in container.befores if _shown(entry, titles, False)]
    container.afters = [_renamed(entry, titles, clean_up=True) for entry in container.afters if _shown(entry, titles, True)]


def _fixture(name: str) -> tuple[str, str]:
    base, _, finalizer = str(name).partition("::")
    return base, finalizer


def _shown(entry: Any, titles: Mapping[str, str], clean_up: bool) -> bool:
    if getattr(entry, "status", None) in _SHOWN_STATUSES:
        return True
    base, finalizer = _fixture(entry.name)
    if base not in titles:
        return False
    return not clean_up or finalizer.isdigit()  # the fixture's own clean-up, not pytest's `<lambda>`


def _renamed(entry: Any, titles: Mapping[str, str], clean_up: bool) -> Any:
    base, _ = _fixture(entry.name)
    if base in titles:
        entry.name = f"{titles[base]} ({CLEAN_UP})" if clean_up else titles[base]
    return entry
