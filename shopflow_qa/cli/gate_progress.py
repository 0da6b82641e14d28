"""The gate's progress where people look: a heartbeat line in a CI log, a live bar on a terminal.

A CI log that stays silent for minutes reads as a hung job (and some runners kill jobs that
print nothing), so without a TTY a line with the running stage's counts is printed at least
every `--heartbeat` seconds (default 10: under the 15 s people wait before worrying). On a
terminal the same counts drive a Rich progress bar. The counts come from what the stage's
child writes anyway: the pytest runs' progress file (`pytest_gate.py`), Locust's CSV stats, the
deploy wait's last look at `/health`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

TICK_S = 0.5  # how often the bar is refreshed and the heartbeat's clock looked at


@dataclass(frozen=True)
class Snapshot:
    """A stage's counts at one moment: the words, and where a bar can show it, done of total."""

    text: str = ""
    done: float | None = None
    total: float | None = None


Counts = Callable[[], Snapshot]


class GateProgress:
    """One background thread for the whole run: it reads the current stage's counts and either
    prints a heartbeat line (no TTY) or refreshes a live bar (TTY)."""

    def __init__(self, console: Console, interval_s: float, live: bool) -> None:
        self.console = console
        self.interval_s = interval_s  # 0: no heartbeat lines
        self.live = live
        self._stage = ""
        self._stage_start = 0.0
        self._counts: Counts | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> GateProgress:
        if self.live or self.interval_s > 0:
            self._thread = threading.Thread(target=self._loop, name="gate-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @contextlib.contextmanager
    def stage(self, name: str, label: str) -> Iterator[None]:
        """While the body runs, `name` is the stage the heartbeat and the bar speak of."""
        with self._lock:
            self._stage, self._stage_start, self._counts = name, time.monotonic(), None
        bar = None
        if self.live:
            bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            task = bar.add_task(label, total=None, counts="")
            with self._lock:
                self._bar, self._task = bar, task
            bar.start()
        try:
            yield
        finally:
            with self._lock:
                self._stage, self._counts, self._bar, self._task = "", None, None, None
            if bar is not None:
                bar.stop()

    def counts(self, counts: Counts | None) -> None:
        """Where the current stage's counts come from (None: only the time spent)."""
        with self._lock:
            self._counts = counts

    def heartbeat_line(self) -> str | None:
        """The line a heartbeat prints now, or None between stages."""
        with self._lock:
            stage, start, counts = self._stage, self._stage_start, self._counts
        if not stage:
            return None
        snapshot = _safely(counts)
        return f"· {stage} {time.monotonic() - start:.0f} s" + (f": {snapshot.text}" if snapshot.text else "")

    def _loop(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(TICK_S):
            if self.live:
                self._refresh_bar()
                continue
            if time.monotonic() - last >= self.interval_s:
                line = self.heartbeat_line()
                if line:  # between stages: the next stage's first tick speaks at once
                    print(line, flush=True)
                    last = time.monotonic()

    def _refresh_bar(self) -> None:
        with self._lock:
            bar, task, counts = self._bar, self._task, self._counts
        if bar is None or task is None:
            return
        snapshot = _safely(counts)
        bar.update(task, counts=snapshot.text, completed=snapshot.done or 0, total=snapshot.total)


def _safely(counts: Counts | None) -> Snapshot:
    """A counts source that cannot be read yet (a file being replaced) shows nothing, never crashes."""
    if counts is None:
        return Snapshot()
    try:
        return counts()
    except (OSError, ValueError, KeyError):
        return Snapshot()


def pytest_counts(progress_file: Path) -> Counts:
    """Counts of a gate pytest run so far, from the file its `pytest_gate` plugin rewrites."""

    def read() -> Snapshot:
        if not progress_file.exists():
            return Snapshot("collecting")
        data = json.loads(progress_file.read_text())
        done = data["passed"] + data["failed"] + data["skipped"]
        total = data.get("total")
        text = f"{data['passed']} passed, {data['failed']} failed, {data['skipped']} skipped"
        if total:
            text += f" (of {total})"
        return Snapshot(text, done, total)

    return read


def locust_counts(load_dir: Path, duration_s: float, started: float) -> Counts:
    """Requests and failures so far, from the `*_stats.csv` Locust rewrites every second."""

    def read() -> Snapshot:
        elapsed = time.monotonic() - started
        stats = sorted(load_dir.rglob("*_stats.csv"), key=lambda p: p.stat().st_mtime)
        requests = failures = 0
        if stats:
            with stats[-1].open(newline="") as handle:
                for row in csv.DictReader(handle):
                    if row.get("Name") == "Aggregated":
                        requests, failures = int(row["Request Count"]), int(row["Failure Count"])
        return Snapshot(f"{requests} requests, {failures} failures", min(elapsed, duration_s), duration_s)

    return read


@dataclass
class WaitWatch:
    """What the deploy wait has seen so far (its `on_poll` callback)."""

    timeout_s: float
    started: float
    version: str = ""
    status: str = ""

    def seen(self, version: str, status: str) -> None:
        self.version, self.status = version, status

    def snapshot(self) -> Snapshot:
        waited = time.monotonic() - self.started
        seen = f"version seen {self.version or 'none'}" + (f" ({self.status})" if self.status else "")
        return Snapshot(f"waited {waited:.0f} s of {self.timeout_s:.0f}, {seen}", min(waited, self.timeout_s), self.timeout_s)
