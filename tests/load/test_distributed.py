"""Many machines on Locust's distributed engine: `shopflow-qa load --master` and `shopflow-qa
load-worker` as separate processes that meet only over TCP, on a non-loopback-default address
(127.0.0.2 stands in for a private network address) and a port of this run's range. The master
alone judges and writes the summary; every request is counted once (the workers' counts add up
to the master's total)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.load.test_load_cli import CI_SLOS, REPO_ROOT, on, shopflow_load

BIND = "127.0.0.2"


def _port() -> int:
    """A port near the top of this run's range (the stacks take theirs from the bottom), free on BIND."""
    top = int(os.environ.get("SHOPFLOW_PORT_RANGE", "8610-8990").split("-")[1])
    for port in range(top - 30, top - 14):
        with socket.socket() as probe:
            try:
                probe.bind((BIND, port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port on {BIND} in {top - 30}-{top - 15}")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    env["SHOPFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
    env.update(extra)
    return env


def _listening(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def test_a_master_and_two_workers_meet_over_tcp_and_count_each_request_once(tmp_path: Path, sqlite_stack) -> None:
    port = _port()
    master = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            "browse",
            *on(sqlite_stack),
            "--master",
            "--expect-workers",
            "2",
            "--master-bind",
            BIND,
            "--master-port",
            str(port),
            "--users",
            "4",
            "--duration",
            "4s",
            "-q",
            "--slos",
            str(CI_SLOS),
        ],
        cwd=REPO_ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    workers: list[subprocess.Popen[str]] = []
    try:
        deadline = time.monotonic() + 30
        while not _listening(BIND, port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _listening(BIND, port), "the master listens on the address it was given"
        assert not _listening("127.0.0.1", port), "and only there"
        for name in ("far-a", "far-b"):  # other hosts: nothing shared with the master but TCP
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "shopflow_qa.cli",
                        "load-worker",
                        "browse",
                        "--master-host",
                        BIND,
                        "--master-port",
                        str(port),
                    ],
                    cwd=tmp_path,
                    env=_env(tmp_path / name, SHOPFLOW_LOAD_WORKER=name),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,
                )
            )
        output, _ = master.communicate(timeout=120)
        worker_outputs = [w.communicate(timeout=60)[0] for w in workers]
    finally:
        for child in (master, *workers):
            if child.poll() is None:
                os.killpg(child.pid, 9)
                child.wait()
    assert master.returncode == 0, output[-3000:]
    assert [w.returncode for w in workers] == [0, 0], [o[-1500:] for o in worker_outputs]
    assert f"generator: 2 Locust workers expected at {BIND}:{port}" in output
    summary = json.loads((tmp_path / "reports" / "latest" / "summary.json").read_text())
    per_worker = summary["requests_per_worker"]
    assert sorted(per_worker) == ["far-a", "far-b"] and all(n > 0 for n in per_worker.values()), per_worker
    assert sum(per_worker.values()) == summary["total"]["count"], "each request counted once"
    assert summary["workers"] == 2 and summary["verdict"] == "passed"
    assert not (tmp_path / "far-a" / "reports").exists(), "workers write no summary: the master judges"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--master"], "--expect-workers: --master needs 1 to 1000 workers, got 0"),
        (["--expect-workers", "2"], "--expect-workers: only with --master"),
        (["--master", "--expect-workers", "2", "--workers", "2"], "--workers: not with --master"),
    ],
)
def test_distributed_options_that_do_not_fit_are_one_line_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = shopflow_load(tmp_path, "browse", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
