"""Where the harness finds its own files and the project it works in.

Package data (environments, cards, SLOs, contracts) is read through `importlib.resources`, so
a wheel installed anywhere finds it. The project folder holds what a run writes (`reports/`,
`.shopflow/stacks/`, `.allure/`) and the suites the gate runs: the checkout when the harness
runs from one (editable install), else the current directory.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE_ROOT = Path(str(resources.files("shopflow_qa")))
PACKAGE_DATA = PACKAGE_ROOT / "data"


def _project_root() -> Path:
    checkout = PACKAGE_ROOT.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "suites").is_dir():
        return checkout
    return Path.cwd()


PROJECT_ROOT = _project_root()


def data_dir() -> Path:
    """`$SHOPFLOW_DATA_DIR` (tests point it at a scratch copy), else the package's data."""
    return Path(os.environ.get("SHOPFLOW_DATA_DIR") or PACKAGE_DATA)


def stacks_dir() -> Path:
    """Where local stacks keep their state and logs: `$SHOPFLOW_STACKS_DIR`, else
    `.shopflow/stacks/` of the project (the stack's own launcher uses the same rule)."""
    return Path(os.environ.get("SHOPFLOW_STACKS_DIR") or PROJECT_ROOT / ".shopflow" / "stacks")
