"""How `shopflow-qa load` waits for its Locust process (shopflow_qa/cli/locust_process.run_locust):
the exit code and output of one that ends, and one that outlives its deadline killed with what
it started. A stand-in process plays Locust: the waiting is what is under test."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil

from shopflow_qa.cli.locust_process import run_locust

ENDS = "import sys; print('locust says hello', flush=True); sys.exit(3)"
HANGS = (
    "import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
    "print('grandchild', child.pid, flush=True); time.sleep(120)"
)


def test_a_process_that_ends_gives_its_exit_code_and_its_output(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    code, interrupted = run_locust([sys.executable, "-c", ENDS], dict(os.environ), log, 60)
    assert (code, interrupted) == (3, False)
    assert "locust says hello" in log.read_text()


def test_past_its_deadline_it_is_killed_with_what_it_started(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    started = time.monotonic()
    code, interrupted = run_locust([sys.executable, "-c", HANGS], dict(os.environ), log, 2)
    assert (code, interrupted) == (-9, False)
    assert time.monotonic() - started < 15, "killed at the deadline, not at the end of its sleep"
    text = log.read_text()
    assert "shopflow: killed after 2 s" in text
    grandchild = int(text.split("grandchild ")[1].split()[0])
    deadline = time.monotonic() + 5
    while psutil.pid_exists(grandchild) and psutil.Process(grandchild).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "what Locust started is stopped too"
        time.sleep(0.1)
