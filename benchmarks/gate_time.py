"""Wall time of `shopflow-qa gate` on the local stack, written to benchmarks/results/gate_time.md.

Target: ≤ 90 s on 2 cores, including the 30 s load step. Runs the gate exactly as
`make gate` does (no flags; the local stack is started and stopped by the gate when it is not
running), `--runs N` times, and records wall time, per-stage times and the verdict of each
run. A red gate is still timed, and said so: the figure is about time, the verdict is in the table.

    .venv/bin/python benchmarks/gate_time.py [--runs 1] [-- extra gate flags]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "benchmarks" / "results" / "gate_time.md"
TARGET_S = 90.0


def _commit() -> str:
    result = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def run_once(extra: list[str]) -> dict[str, object]:
    """One gate, timed from the outside; its gate.json read from reports/latest."""
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "gate", "--quiet", *extra], cwd=REPO_ROOT, capture_output=True, text=True
    )
    wall = time.monotonic() - start
    from shopflow_qa.core.run_dir import LATEST, reports_dir

    latest = reports_dir() / LATEST / "gate.json"
    gate = json.loads(latest.read_text()) if latest.exists() else {}
    return {
        "wall_s": round(wall, 1),
        "exit_code": result.returncode,
        "gate": gate,
        "output": (result.stdout + result.stderr).strip().splitlines()[:1],
    }


def render(runs: list[dict[str, object]], extra: list[str]) -> str:
    walls = [float(r["wall_s"]) for r in runs]
    best = min(walls)
    stages = [s["name"] for s in runs[0]["gate"].get("stages", [])] if runs[0]["gate"] else []
    lines = [
        "# Gate wall time on the local stack",
        "",
        f"- Measured {datetime.now(UTC).isoformat(timespec='seconds')} at commit `{_commit()}` by `benchmarks/gate_time.py`",
        f"- Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} at the end (other work on the machine inflates the figure)",
        f"- Command: `shopflow-qa gate --quiet {' '.join(extra)}`".rstrip() + " (as `make gate`)",
        f"- Target: ≤ {TARGET_S:.0f} s including the 30 s load step → best {best:.1f} s, "
        f"{'MET' if best <= TARGET_S else 'NOT MET'}",
        "",
        "| run | wall time | exit | verdict | " + " | ".join(stages) + " |",
        "|---|---|---|---|" + "---|" * len(stages),
    ]
    for index, run in enumerate(runs, 1):
        gate = run["gate"]
        times = {s["name"]: f"{s['duration_s']:.1f} s ({s['status']})" for s in gate.get("stages", [])}
        lines.append(
            f"| {index} | {run['wall_s']:.1f} s | {run['exit_code']} | {gate.get('verdict', '?')} | "
            + " | ".join(times.get(name, "–") for name in stages)
            + " |"
        )
    reasons = {str(r["gate"].get("reason")) for r in runs if r["gate"].get("reason")}
    if reasons:
        lines += ["", "Reasons given by the gate: " + "; ".join(sorted(reasons))]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    runs = [run_once(extra) for _ in range(args.runs)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(render(runs, extra))
    print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
