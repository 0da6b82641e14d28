"""The worker's heartbeat: a file it touches every second; the API's /health reads its age.

A file in the stack's folder works the same on SQLite and PostgreSQL stacks and needs no
other service. A worker that died or hangs shows as `"worker": "fail: …"` within seconds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

STALE_AFTER_S = 10.0


def path(stack_dir: Path) -> Path:
    return stack_dir / "worker.heartbeat"


def beat(stack_dir: Path) -> None:
    """Write the beat atomically: a reader must never see the file empty or half-written."""
    target = path(stack_dir)
    scratch = target.with_name(f".{target.name}.{os.getpid()}")
    scratch.write_text(f"{time.time():.3f}\n")
    os.replace(scratch, target)


def worker_check(stack_dir: Path) -> str:
    try:
        last = float(path(stack_dir).read_text().strip())
    except (OSError, ValueError):
        return "fail: the worker has not started"
    age = time.time() - last
    return "ok" if age <= STALE_AFTER_S else f"fail: no worker heartbeat for {age:.0f} s"
