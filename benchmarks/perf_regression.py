"""False alarms of the regression check: N healthy load runs in a row against one environment,
each compared with the last green run before it (the first records the baseline). Target: 0
alarms in 10. Writes benchmarks/results/perf_regression.md with every run's comparison.

    .venv/bin/python benchmarks/perf_regression.py --runs 10 --duration 10s --env NAME --env-file F
    (default: local, started on demand; the run folders go to a temporary reports folder)

`--out perf_regression_s50.md` keeps a second record beside the first, e.g. for a stack started
with `stack up --service-ms 50` (the service time the regression proof runs at).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def run_once(reports: Path, args: argparse.Namespace) -> tuple[float, int, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPFLOW_RUN_DIR", "SHOPFLOW_RUN_ID")}
    env["SHOPFLOW_REPORTS_DIR"] = str(reports)
    target = ["--env", args.env, *(["--env-file", args.env_file] if args.env_file else [])]
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            args.profile,
            *target,
            "--duration",
            args.duration,
            "--purge",
            "--quiet",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    summary_file = reports / "latest" / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return seconds, result.returncode, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--profile", default="checkout_flow")
    parser.add_argument("--env", default="local")
    parser.add_argument("--env-file", default=None)
    parser.add_argument("--out", default="perf_regression.md", help="file name under benchmarks/results/")
    parser.add_argument("--note", default="", help="what the environment is, for the record (e.g. its service time)")
    args = parser.parse_args()
    rows, alarms, compared = [], 0, 0
    load_before = os.getloadavg()  # a busy box moves every percentile: the record says how busy
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(1, args.runs + 1):
            seconds, code, summary = run_once(Path(tmp), args)
            regression = summary.get("regression") or {}
            status = regression.get("status", "—")
            figures = regression.get("changes", [])
            alarms += status == "regressed"
            compared += len(figures)
            worst = max(figures, key=lambda c: c["today"] / c["baseline"] if c["baseline"] else 0, default=None)
            worst_text = f"{worst['endpoint']} {worst['metric']} {worst['baseline']:.1f} → {worst['today']:.1f}" if worst else "—"
            regressed = "<br>".join(
                f"{c['endpoint']} {c['metric']} {c['baseline']:.1f} → {c['today']:.1f}" for c in figures if c["regressed"]
            )
            worst_text += f"<br>**regressed:** {regressed}" if regressed else ""
            total = summary.get("total", {})
            rows.append(
                f"| {index} | {code} | {summary.get('verdict', '—')} | {status} | {len(figures)} | {worst_text} | "
                f"{total.get('p95_ms', '—')} | {total.get('rps', '—')} | {seconds:.1f} s |"
            )
            print(rows[-1], flush=True)
    lines = [
        f"# Regression check: {args.runs} healthy `{args.profile}` runs in a row",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores; 1-minute load average {load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end), "
        f"environment `{args.env}`, {args.duration} each, "
        f"`python benchmarks/perf_regression.py --runs {args.runs} --duration {args.duration}"
        f"{f' --out {args.out}' if args.out != 'perf_regression.md' else ''}`{f' ({args.note})' if args.note else ''}. Each run is compared "
        "with the last green run before it (the first records the baseline); tolerances from `data/slos.toml`'s "
        "`[local.regression]` (a stack-named environment uses `local`'s).",
        "",
        f"**False alarms: {alarms} of {args.runs - 1} comparisons** ({compared} endpoint figures compared in all).",
        "",
        "| run | exit | verdict | regression check | figures compared | largest relative change (ms or rps) | total p95 ms | total rps | wall |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / args.out).write_text("\n".join(lines))
    print(f"false alarms: {alarms}; written to {RESULTS / args.out}")
    return 1 if alarms else 0


if __name__ == "__main__":
    raise SystemExit(main())
