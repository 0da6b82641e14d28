"""The load generator's own ceiling: requests/s of one Locust process (FastHttpUser) against a
trivial local endpoint, next to `wrk` on the same endpoint in the same run; written to
benchmarks/results/load_ceiling.md.

Why: a load test is only believable below the generator's ceiling; past it, Locust measures
itself. The endpoint is a raw asyncio server answering "ok" to each GET (http.server and even
gevent's WSGI server are too slow: they, not the generator, were the ceiling). With `taskset` the server gets one core and the generator the other, so the figure is
per core; both tools run the same number of seconds, interleaved, on the same machine.

    .venv/bin/python benchmarks/load_ceiling.py [--seconds 10] [--connections 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "benchmarks" / "results" / "load_ceiling.md"
SERVER = """
import asyncio, sys
RESPONSE = b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\n\\r\\nok"
class Answer(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        self.buffer += data
        requests = self.buffer.count(b"\\r\\n\\r\\n")
        if requests:
            self.buffer = self.buffer[self.buffer.rfind(b"\\r\\n\\r\\n") + 4:]
            self.transport.write(RESPONSE * requests)
async def main():
    server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
asyncio.run(main())
"""
LOCUSTFILE = """
from locust import FastHttpUser, constant, task
class Hammer(FastHttpUser):
    wait_time = constant(0)
    @task
    def hit(self):
        self.client.get("/")
"""


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def locust_rps(url: str, seconds: int, users: int, work: Path) -> tuple[float, float]:
    """(requests/s, median ms) of one Locust process."""
    (work / "hammer.py").write_text(LOCUSTFILE)
    prefix = work / "hammer"
    subprocess.run(
        [
            *_pin(1),
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(work / "hammer.py"),
            "--headless",
            "-H",
            url,
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--only-summary",
            "--csv",
            str(prefix),
            "--loglevel",
            "ERROR",
        ],
        capture_output=True,
        timeout=seconds + 60,
        cwd=work,
    )
    with open(f"{prefix}_stats.csv") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return float(row["Requests/s"]), float(row["Median Response Time"])


def wrk_rps(url: str, seconds: int, connections: int) -> tuple[float, float]:
    """(requests/s, median ms) of wrk with one thread."""
    out = subprocess.run(
        [*_pin(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out).groups()
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("benchmarks/load_ceiling.py: wrk is not installed (apt-get install -y wrk)")
    port = _port()
    server = subprocess.Popen([*_pin(0), sys.executable, "-c", SERVER, str(port)])
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as tmp:
            for round_ in range(1, args.rounds + 1):
                rows.append(
                    ("locust FastHttpUser (1 process)", round_, *locust_rps(url, args.seconds, args.connections, Path(tmp)))
                )
                rows.append(("wrk -t1", round_, *wrk_rps(url, args.seconds, args.connections)))
    finally:
        server.terminate()
        server.wait()
    best = {tool: max(r[2] for r in rows if r[0] == tool) for tool, *_ in rows}
    load_before = os.getloadavg()[0]
    lines = [
        "# Load generator ceiling (benchmarks/load_ceiling.py)",
        "",
        f"{datetime.now(UTC).isoformat(timespec='seconds')} · {platform.node()} · {os.cpu_count()} cores · "
        f"load average {load_before:.1f} · Python {platform.python_version()} · {args.seconds} s per round, {args.connections} users/connections · "
        f"server pinned to core 0, generator to core 1: {'yes' if _pin(0) else 'no (taskset or 2 cores missing)'}",
        "",
        "| tool | round | requests/s | median ms |",
        "|---|---|---|---|",
        *(f"| {tool} | {round_} | {rps:.0f} | {median:.2f} |" for tool, round_, rps, median in rows),
        "",
        "Rounds differ when other processes share the machine; the best round of each tool is the ceiling.",
        f"Best: Locust {best['locust FastHttpUser (1 process)']:.0f} requests/s, wrk {best['wrk -t1']:.0f} requests/s. "
        f"Locust reaches {best['locust FastHttpUser (1 process)'] / best['wrk -t1']:.0%} of wrk's throughput on one core. "
        "Keep a profile's expected request rate well below the Locust figure per worker process, or add `--workers`.",
        "Latency agreement with wrk at the same fixed rate: benchmarks/latency_vs_wrk.py.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
