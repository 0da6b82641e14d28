"""Stopping a child and everything it started, so that no process outlives the run.

The gate's pytest runs and `shopflow-qa load`'s Locust are started in sessions of their own
(a Ctrl-C on the terminal reaches the harness alone, which then stops them politely). What
they start in turn does not always stay in their process group: Playwright launches Chromium
detached, the plugin's managed stack runs in sessions of its own. So the family is read from
the process tree (psutil) before each signal, and whatever of it survives the polite stop is
killed at the end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Iterable, Sequence
from typing import Any

import psutil

log = logging.getLogger(__name__)

# SIGINT first (pytest and Locust then write what they have), SIGTERM, then SIGKILL.
POLITE_STEPS: tuple[tuple[signal.Signals, float], ...] = ((signal.SIGINT, 20.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0))


def descendants(pid: int) -> list[psutil.Process]:
    """Every living process below `pid` (children, grandchildren, …); [] when it is gone."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def stop_tree(process: subprocess.Popen[Any], steps: Sequence[tuple[signal.Signals, float]] = POLITE_STEPS) -> int | None:
    """Signal the child's process group step by step until it exits, then kill what is left of
    its family; returns its exit code (None if even SIGKILL did not end it in time). A Ctrl-C
    while waiting skips to the next, harder step."""
    family = {p.pid: p for p in descendants(process.pid)}
    for sig, grace in steps:
        family.update({p.pid: p for p in descendants(process.pid)})  # what it started meanwhile
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # another Ctrl-C or SIGTERM: stop waiting politely
            continue
    reap(family.values())
    return process.poll()


def kill_group(pid: int) -> None:
    """SIGKILL a child's whole process group (it was started in a session of its own); gone already is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def reap(processes: Iterable[psutil.Process], grace: float = 3.0) -> list[int]:
    """SIGTERM, then SIGKILL, the given processes that still run; returns the pids it had to stop."""
    alive = [p for p in processes if _running(p)]
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, stubborn = psutil.wait_procs(alive, timeout=grace)
    for process in stubborn:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(stubborn, timeout=grace)
    if alive:
        log.info("stopped %d leftover process(es): %s", len(alive), ", ".join(str(p.pid) for p in alive))
    return [p.pid for p in alive]


def _running(process: psutil.Process) -> bool:
    """Alive and still the same process (is_running compares the start time: no reused pid)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
