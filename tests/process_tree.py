"""Which processes a run left behind: every process carrying the run's marker in its environment.

A run under test is started with `MARK_VARIABLE=<unique value>`; whatever it starts inherits
that environment (pytest, xdist workers, Playwright's driver and Chromium, Locust, a stack it
auto-starts), also once re-parented to init, which a walk down the process tree would miss.
"""

from __future__ import annotations

import time
import uuid

import psutil

MARK_VARIABLE = "SHOPFLOW_TEST_PROCESS_MARK"


def new_mark() -> dict[str, str]:
    """The environment entry that marks one run's processes."""
    return {MARK_VARIABLE: uuid.uuid4().hex}


def marked(mark: dict[str, str]) -> list[str]:
    """ "pid name" of every living process carrying `mark`."""
    value = mark[MARK_VARIABLE]
    found = []
    for process in psutil.process_iter(["pid", "name", "status"]):
        try:
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get(MARK_VARIABLE) == value:
                found.append(f"{process.pid} {process.info['name']} {' '.join(process.cmdline())[:120]}")
        except psutil.Error:
            continue
    return found


def leftovers(mark: dict[str, str], settle_s: float = 3.0) -> list[str]:
    """The marked processes still alive after `settle_s` (exits are not instantaneous)."""
    deadline = time.monotonic() + settle_s
    while True:
        found = marked(mark)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
