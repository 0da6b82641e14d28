"""stack/README.md documents every fault switch of the registry, and no switch that is gone."""

from __future__ import annotations

import re
from pathlib import Path

from shopflow_stack.faults import REGISTRY

README = Path(__file__).resolve().parents[2] / "stack" / "README.md"


def test_the_fault_table_lists_exactly_the_registry() -> None:
    documented = set(re.findall(r"^\| `([a-z_0-9]+)` \|", README.read_text(), flags=re.MULTILINE))
    assert documented == set(REGISTRY)
