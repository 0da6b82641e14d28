"""Where the stack finds its own files and keeps its stacks' state.

Its data (the seed catalogue, the card catalogue the payments sandbox honours) ships inside
the package. Stacks live under `$SHOPFLOW_STACKS_DIR`, else `.shopflow/stacks/` of the project:
the checkout when the stack runs from one, else the current directory.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE_ROOT = Path(str(resources.files("shopflow_stack")))
PACKAGE_DATA = PACKAGE_ROOT / "data"


def _project_root() -> Path:
    checkout = PACKAGE_ROOT.parent
    return checkout if (checkout / "pyproject.toml").is_file() else Path.cwd()


PROJECT_ROOT = _project_root()


def stacks_dir() -> Path:
    return Path(os.environ.get("SHOPFLOW_STACKS_DIR") or PROJECT_ROOT / ".shopflow" / "stacks")
