"""The worker's heartbeat is read by /health while the worker rewrites it: no torn reads."""

from __future__ import annotations

import threading
from pathlib import Path

from shopflow_stack import heartbeat


def test_a_reader_never_sees_a_half_written_beat(tmp_path: Path):
    heartbeat.beat(tmp_path)
    done = threading.Event()

    def keep_beating() -> None:
        while not done.is_set():
            heartbeat.beat(tmp_path)

    writer = threading.Thread(target=keep_beating)
    writer.start()
    try:
        readings = [heartbeat.worker_check(tmp_path) for _ in range(3000)]
    finally:
        done.set()
        writer.join()
    assert set(readings) == {"ok"}


def test_a_missing_or_old_beat_is_a_failure(tmp_path: Path):
    assert heartbeat.worker_check(tmp_path) == "fail: the worker has not started"
    heartbeat.path(tmp_path).write_text("0\n")
    assert heartbeat.worker_check(tmp_path).startswith("fail: no worker heartbeat for")
