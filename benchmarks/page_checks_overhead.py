"""What the page checks (page timings against their budgets, and axe-core on every page) add to
the browser areas' wall time. Target: at most 15 %. Runs the browser suites alternately with
`--page-checks off` and `on` (interleaved, so a busy neighbour on the machine hits both alike)
and writes benchmarks/results/page_checks_overhead.md with every run and the medians.

    .venv/bin/python benchmarks/page_checks_overhead.py --rounds 3 -n 2 --env NAME --env-file F
    (default selection: suites/checkout suites/admin; default environment: local, started on demand)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def run_once(selection: list[str], extra: list[str], checks: str, run_dir: Path | None = None) -> tuple[float, int, str]:
    env = {k: v for k, v in os.environ.items() if k != "SHOPFLOW_RUN_DIR"}
    if run_dir is not None:
        env["SHOPFLOW_RUN_DIR"] = str(run_dir)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *selection, "-q", "-p", "no:cacheprovider", "--page-checks", checks, *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    CPU.append(_children_cpu() - cpu_before)
    return seconds, result.returncode, (result.stdout.strip().splitlines() or [""])[-1]


CPU: list[float] = []  # CPU seconds of each run's process tree (pytest, its workers, the browsers)


def _children_cpu() -> float:
    """User + system CPU of every finished descendant: what a run cost whatever else the machine does."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selection", nargs="*", default=["suites/checkout", "suites/admin"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", dest="workers", default="2")
    parser.add_argument("--env", default="")
    parser.add_argument("--env-file", default="")
    args = parser.parse_args()
    extra = [
        *(["--env", args.env] if args.env else []),
        *(["--env-file", args.env_file] if args.env_file else []),
        *(["-n", args.workers] if args.workers not in ("", "0") else []),
    ]
    run_once(args.selection, extra, "on")  # warm-up: stack, browsers, bytecode caches
    times: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    rows = []
    costs = Path(tempfile.mkdtemp(prefix="page-checks-"))
    for round_ in range(1, args.rounds + 1):
        for checks in ("off", "on"):
            seconds, code, summary = run_once(args.selection, extra, checks, costs / str(round_) if checks == "on" else None)
            times[checks].append(seconds)
            cpu[checks].append(CPU[-1])
            rows.append(f"| {round_} | {checks} | {seconds:.1f} | {CPU[-1]:.1f} | {code} | {summary} |")
            print(rows[-1], flush=True)
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    overhead = (on - off) / off * 100
    fastest = (min(times["on"]) - min(times["off"])) / min(times["off"]) * 100
    cpu_off, cpu_on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    cpu_overhead = (cpu_on - cpu_off) / cpu_off * 100
    records = [json.loads(line) for path in costs.glob("*/page-checks-cost/*.jsonl") for line in path.read_text().splitlines()]
    shutil.rmtree(costs, ignore_errors=True)
    checks_s, call_s = sum(r["checks_s"] for r in records), sum(r["call_s"] for r in records)
    share = checks_s / call_s * 100 if call_s else 0.0
    lines = [
        "# Page checks' cost on the browser areas",
        "",
        f"Written by `benchmarks/page_checks_overhead.py --rounds {args.rounds} -n {args.workers}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC ({platform.node()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end: the machine is shared, figures "
        f"move with it); selection `{' '.join(args.selection)}`; environment `{args.env or 'local'}`. `on` = page "
        "timings judged against their budgets and axe-core on each page; `off` = `--page-checks off`.",
        "",
        f"**CPU time of the whole run (pytest, workers, Chromium; the machine's load moves it least): median off "
        f"{cpu_off:.1f} s, on {cpu_on:.1f} s → {cpu_overhead:+.1f} %** (target ≤ 15 % of wall time; on 2 busy cores "
        "the browser areas are CPU-bound, so CPU is the closest stable proxy).",
        "",
        f"Measured inside the tests: the checks took {checks_s:.1f} s of the browser tests' {call_s:.1f} s "
        f"({share:.1f} %) over {len(records)} test calls with page checks on (axe-core's runs, the last pages' "
        "snapshots and the verdict, timed around each: an upper bound, since axe runs while the test goes on).",
        "",
        f"Wall time of the whole selection (moves with the machine's load): median off {off:.1f} s, on {on:.1f} s "
        f"({overhead:+.1f} %); fastest off {min(times['off']):.1f} s, on {min(times['on']):.1f} s ({fastest:+.1f} %).",
        "",
        "| round | page checks | wall s | CPU s | exit | pytest says |",
        "|---:|---|---:|---:|---:|---|",
        *rows,
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "page_checks_overhead.md").write_text("\n".join(lines))
    print(
        f"CPU {cpu_overhead:+.1f} %; checks {share:.1f} % of test time; wall {overhead:+.1f} %; written: benchmarks/results/page_checks_overhead.md"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
