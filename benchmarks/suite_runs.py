"""Wall time and stability of a suite selection against an environment, written to a file.

Two questions a suite's owner must answer with figures, not impressions:
- how long the selection takes serially and under `-n 2` (the target for the checkout
  journeys: under 60 s on 2 cores);
- how often it fails on a healthy stack over N consecutive runs (target 0 / 20).

    .venv/bin/python benchmarks/suite_runs.py time suites/checkout suites/admin
    .venv/bin/python benchmarks/suite_runs.py stability --runs 20 -n 2 suites/checkout suites/admin
    (add --env NAME [--env-file F] for another environment; default: local, started on demand)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def _failed_tests(junit: Path) -> str:
    """Which tests failed and the first line of why: a flaky run must name its journey."""
    if not junit.exists():
        return ""
    named = []
    for case in ET.parse(junit).iter("testcase"):
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        if problem is not None:
            why = (problem.get("message") or "").splitlines()[0][:120] if problem.get("message") else ""
            named.append(f"{case.get('name')}: {why}".replace("|", "\\|"))
    return "<br>".join(named)


def run_once(selection: list[str], extra: list[str]) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *selection, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *extra],
            cwd=REPO,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        summary = (result.stdout.strip().splitlines() or [""])[-1]
        failed = _failed_tests(junit)
    return seconds, result.returncode, summary + (f"<br>{failed}" if failed else "")


def _header(title: str, args: argparse.Namespace) -> list[str]:
    return [
        f"# {title}",
        "",
        f"Written by `benchmarks/suite_runs.py {args.mode}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({platform.node()}, Python {platform.python_version()}); selection: `{' '.join(args.selection)}`; "
        f"environment: `{args.env or 'local'}`; load average at the start {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (the machine is shared: figures move with it).",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("time", "stability"))
    parser.add_argument("selection", nargs="+")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("-n", dest="workers", default="")
    parser.add_argument("--env", default="")
    parser.add_argument("--env-file", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    extra = [*(["--env", args.env] if args.env else []), *(["--env-file", args.env_file] if args.env_file else [])]
    name = args.out or f"suite_{args.mode}_{'_'.join(Path(s).name for s in args.selection)}.md"
    lines: list[str]
    if args.mode == "time":
        lines = _header("Suite wall time", args) + ["| how | wall s | exit | pytest says |", "|---|---:|---:|---|"]
        run_once(args.selection, extra)  # warm-up: the local stack starts, browsers and caches load
        for label, workers in (("serial", []), ("-n 2", ["-n", "2"])):
            seconds, code, summary = run_once(args.selection, [*extra, *workers])
            lines.append(f"| {label} | {seconds:.1f} | {code} | {summary} |")
            print(lines[-1])
    else:
        workers = ["-n", args.workers] if args.workers else []
        lines = _header(f"Suite stability over {args.runs} runs", args) + [
            "| run | wall s | exit | pytest says |",
            "|---:|---:|---:|---|",
        ]
        failures = 0
        for run in range(1, args.runs + 1):
            seconds, code, summary = run_once(args.selection, [*extra, *workers])
            failures += code != 0
            lines.append(f"| {run} | {seconds:.1f} | {code} | {summary} |")
            print(lines[-1], flush=True)
        lines += ["", f"**{failures} / {args.runs} runs failed.**"]
        print(f"{failures} / {args.runs} runs failed")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text("\n".join(lines) + "\n")
    print(f"written: benchmarks/results/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
