"""One generator process against every core, and a saturated generator called out: written to
benchmarks/results/generator_processes.md (and .json).

Why: one Locust process is one core at most. `shopflow-qa load` runs one worker per usable core
by default; this shows a rate that one process (`--workers 1`) cannot hold and the default holds,
and that a generator pinned to one core at an impossible rate is judged "inconclusive" (exit 2)
instead of blaming the shop. The target is benchmarks/fast_shop.py (the real local stack would
saturate long before the generator on 2 cores). Other processes share this machine: the load
average is recorded; a starved generator is reported as saturated, which is the point.

    .venv/bin/python benchmarks/generator_processes.py [--rates 600,750] [--seconds 20] [--impossible-rate 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

from fast_shop import env_file_text  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "generator_processes.md"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(label: str, extra: list[str], pin: list[str], rate: float, seconds: int, env_file: Path, work: Path) -> dict:
    reports = work / label.replace(" ", "-")
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_ENV", "SHOPFLOW_RUN_ID")}
    env["SHOPFLOW_REPORTS_DIR"] = str(reports)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    command = [
        *pin,
        sys.executable,
        "-m",
        "shopflow_qa.cli",
        "load",
        "checkout_flow",
        "--env",
        "fast",
        "--env-file",
        str(env_file),
        "--shape",
        "constant_rate",
        "--rate",
        f"{rate:g}",
        "--duration",
        f"{seconds}s",
        "-q",
        *extra,
    ]
    started = time.monotonic()
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=seconds + 180)
    wall = time.monotonic() - started
    summary = json.loads((reports / "latest" / "summary.json").read_text())
    sizing = next((line for line in result.stdout.splitlines() if line.startswith("generator:")), "")
    arrivals = summary.get("arrivals") or {}
    generator = summary.get("generator") or {}
    row = {
        "run": label,
        "command": " ".join(["shopflow-qa", *command[command.index("load") :]]).replace(str(env_file), "fast.toml"),
        "pinned": " ".join(pin) or "no",
        "sizing": sizing.removeprefix("generator: "),
        "exit_code": result.returncode,
        "verdict": summary["verdict"],
        "scheduled": arrivals.get("scheduled", 0),
        "started": arrivals.get("started", 0),
        "dropped": arrivals.get("dropped", 0),
        "flows_per_s": round(arrivals.get("started", 0) / seconds, 1),
        "requests": summary["total"]["count"],
        "p95_ms": summary["total"]["p95_ms"],
        "cpu_peaks": generator.get("cpu_max_percent", {}),
        "bottleneck": generator.get("bottleneck"),
        "wall_s": round(wall, 1),
    }
    print(json.dumps(row), flush=True)
    return row


def report(rows: list[dict], args: argparse.Namespace, loads: list[float]) -> str:
    def peaks(row: dict) -> str:
        return ", ".join(f"{k} {v:g} %" for k, v in row["cpu_peaks"].items())

    lines = [
        "# One generator process or every core; a saturated generator (benchmarks/generator_processes.py)",
        "",
        f"{datetime.now(UTC).isoformat(timespec='seconds')} · {platform.node()} · {os.cpu_count()} cores · "
        f"load average before/after {loads[0]:.2f}/{loads[1]:.2f} (other processes share the machine) · "
        f"Python {platform.python_version()} · target benchmarks/fast_shop.py · checkout_flow, open model, "
        f"{args.seconds} s a run",
        "",
        "| run | generator | exit | verdict | arrivals started / scheduled (dropped) | flows/s | requests | p95 ms | "
        "peak core use per process (CPU + run-queue wait) |",
        "|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['run']} | {r['sizing']} | {r['exit_code']} | {r['verdict']} | {r['started']} / {r['scheduled']} "
            f"({r['dropped']}) | {r['flows_per_s']} | {r['requests']} | {r['p95_ms']} | {peaks(r)} |"
            for r in rows
        ),
        "",
        *(
            f"- {r['run']}: `{r['command']}` (pinned: {r['pinned']})" + (f" → {r['bottleneck']}" if r["bottleneck"] else "")
            for r in rows
        ),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rates", default="600,750", help="comma-separated flows/s, each run by one process and by the default")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--impossible-rate", type=float, default=3000.0)
    args = parser.parse_args()
    if not shutil.which("taskset") or (os.cpu_count() or 1) < 2:
        sys.exit("benchmarks/generator_processes.py: needs taskset and 2 cores")
    loads = [os.getloadavg()[0]]
    port = _port()
    shop = subprocess.Popen([sys.executable, str(REPO_ROOT / "benchmarks" / "fast_shop.py"), str(port)])
    rows = []
    try:
        time.sleep(1.0)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            env_file = work / "fast.toml"
            env_file.write_text(env_file_text("fast", f"http://127.0.0.1:{port}"))
            for rate in (float(r) for r in args.rates.split(",")):
                rows.append(run(f"{rate:g}/s, one process", ["--workers", "1"], [], rate, args.seconds, env_file, work))
                rows.append(run(f"{rate:g}/s, default (every core)", [], [], rate, args.seconds, env_file, work))
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(shop.pid)], capture_output=True, check=False)
            rows.append(
                run(
                    "saturated: one core",
                    [],
                    ["taskset", "-c", "1"],
                    args.impossible_rate,
                    max(8, args.seconds // 2),
                    env_file,
                    work,
                )
            )
    finally:
        shop.terminate()
        shop.wait()
    loads.append(os.getloadavg()[0])
    text = report(rows, args, loads)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    RESULTS.with_suffix(".json").write_text(json.dumps({"load_average": loads, "runs": rows}, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
