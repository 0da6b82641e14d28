"""A saturated generator is called out, not blamed on the shop: `shopflow-qa load` pinned to one
core at a rate no single Locust process can start, against a stand-in shop far cheaper per
request than the generator (benchmarks/fast_shop.py, on the other core) → verdict
"inconclusive", exit 2, the reason in the summary and on screen. Whatever else runs on the core,
the generator wants all of it (CPU + run-queue wait), so this holds on busy CI cores too."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shopflow_qa.core.slos import SLO_FILE
from tests.load.test_load_cli import REPO_ROOT, shopflow_load

pytestmark = pytest.mark.skipif(
    not shutil.which("taskset") or len(os.sched_getaffinity(0)) < 2, reason="needs taskset and 2 usable cores"
)


def test_a_generator_pinned_to_one_core_at_an_impossible_rate_is_inconclusive_exit_2(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env_file = tmp_path / "fast.toml"
    cores = sorted(os.sched_getaffinity(0))
    shop = subprocess.Popen(
        ["taskset", "-c", str(cores[0]), sys.executable, "benchmarks/fast_shop.py", str(port), "--env-file", str(env_file)],
        cwd=REPO_ROOT,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not env_file.exists():
            time.sleep(0.1)
        time.sleep(0.5)
        os.sched_setaffinity(0, {cores[1]})  # the child inherits one core: one usable core, one process
        try:
            result = shopflow_load(
                tmp_path, "checkout_flow", "--env", "fast", "--env-file", str(env_file), "--shape", "constant_rate",
                "--rate", "3000", "--duration", "4s", "-q", "--slos", str(SLO_FILE),
            )  # fmt: skip
        finally:
            os.sched_setaffinity(0, set(cores))
    finally:
        shop.terminate()
        shop.wait()
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-2000:]
    summary = json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())
    assert summary["verdict"] == "inconclusive" and summary["exit_code"] == 2 and summary["workers"] == 0
    reason = summary["generator"]["bottleneck"]
    assert reason.startswith("the load generator was the bottleneck: locust"), reason
    assert f"load checkout_flow: inconclusive: {reason}" in result.stdout
    assert "generator: 1 process: 1 usable core" in result.stdout
