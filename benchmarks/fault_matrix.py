"""`make fault-matrix`: the gate against a stack per fault switch, by hand (not in CI).

For every fault in shopflow_stack/faults.py (and a healthy baseline) it starts a named local stack
with that fault, runs `shopflow-qa gate` against it, and tabulates per area what went red.
A fault the gate does not catch (exit 0) is the finding this table exists for. Writes
`reports/<time>-fault-matrix/fault-matrix.md` (+ `.json`), one gate run folder per fault inside.

    .venv/bin/python benchmarks/fault_matrix.py [--faults a,b] [--no-load] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from shopflow_qa.cli.pytest_gate import AREAS
from shopflow_qa.core import run_dir
from shopflow_stack import runner
from shopflow_stack.faults import REGISTRY

REPO_ROOT = Path(__file__).resolve().parents[1]
BASELINE = "none"


def _gate(stack: runner.StackState, fault: str, folder: Path, extra: list[str]) -> dict[str, object]:
    """One quiet gate against `stack`, into `folder`; returns its gate.json (or what went wrong)."""
    env_file = stack.directory / "env.toml"
    args = ["--env", stack.name, "--env-file", str(env_file), "--quiet", *extra]
    if fault == "stale_version":
        args += ["--expect-version", _code_version()]  # what a fresh deploy of this checkout reports
    env = dict(os.environ, **{run_dir.RUN_DIR_VARIABLE: str(folder)})
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "shopflow_qa.cli", "gate", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    gate_file = folder / "gate.json"
    gate = json.loads(gate_file.read_text()) if gate_file.exists() else {}
    return {
        "fault": fault,
        "exit_code": result.returncode,
        "wall_s": round(time.monotonic() - start, 1),
        "gate": gate,
        "stderr": result.stderr.strip().splitlines()[-1:],
    }


def _code_version() -> str:
    from shopflow_stack.settings import code_version

    return code_version()


def _cell(gate: dict[str, object], area: str) -> str:
    if area == "load":
        load = gate.get("load") or {}
        return {"passed": "✓", "failed": "✗", "skipped": "–"}.get(str(load.get("status")), "·")
    for counts in gate.get("areas", []):
        if counts["name"] == area:
            return {"passed": "✓", "failed": f"✗ {counts['failed'] + counts['errors']}", "skipped": "–"}.get(
                counts["status"], "·"
            )
    return "·"


def caught_by_gate(row: dict[str, object]) -> bool:
    """Red (exit 1), or refused as not live at preflight/wait (exit 2 there); not a harness error."""
    if row["exit_code"] == 1:
        return True
    stages = row["gate"].get("stages", []) if isinstance(row["gate"], dict) else []
    errored = [s["name"] for s in stages if s["status"] == "error"]
    return row["exit_code"] == 2 and bool(errored) and errored[0] in ("preflight", "wait")


def render(rows: list[dict[str, object]]) -> str:
    columns = [*AREAS, "load"]
    lines = [
        "# Gate per fault switch",
        "",
        "✓ passed · ✗ N failed tests · – skipped · · not run (the gate stopped earlier). "
        "A fault is caught when the gate goes red (exit 1) or refuses the build at preflight/wait (exit 2 there).",
        "",
        "| fault | exit | verdict | " + " | ".join(columns) + " | reason | time |",
        "|---|---|---|" + "---|" * len(columns) + "---|---|",
    ]
    for row in rows:
        gate = row["gate"]
        reason = str(gate.get("reason") or (row["stderr"] or [""])[0]).replace("|", "\\|")[:140]
        lines.append(
            f"| `{row['fault']}` | {row['exit_code']} | {gate.get('verdict', '?')} | "
            + " | ".join(_cell(gate, c) for c in columns)
            + f" | {reason} | {row['wall_s']:.0f} s |"
        )
    faults = [r for r in rows if r["fault"] != BASELINE]
    caught = [r for r in faults if caught_by_gate(r)]
    missed = [str(r["fault"]) for r in faults if not caught_by_gate(r)]
    lines += ["", f"Caught {len(caught)} of {len(faults)} faults." + (f" Not caught: {', '.join(missed)}." if missed else "")]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The gate against one local stack per fault switch.")
    parser.add_argument("--faults", default="", help="comma-separated subset (default: all, plus a healthy baseline)")
    parser.add_argument("--no-load", action="store_true", help="skip the gate's load step")
    parser.add_argument("--database-url", default=None, help="run the stacks on PostgreSQL (default SQLite)")
    args = parser.parse_args(argv)
    faults = [f for f in args.faults.split(",") if f] or [BASELINE, *REGISTRY]
    unknown = [f for f in faults if f != BASELINE and f not in REGISTRY]
    if unknown:
        print(f"fault-matrix: unknown fault '{unknown[0]}' (known: {', '.join(REGISTRY)})", file=sys.stderr)
        return 2
    matrix = run_dir.create_run_dir("local", "fault-matrix")
    extra = ["--no-load"] if args.no_load else []
    rows = []
    for fault in faults:
        name = f"fm-{fault.replace('_', '-')}"
        print(f"fault-matrix: {fault} …", flush=True)
        stack, _ = runner.up(name, faults=[] if fault == BASELINE else [fault], database_url=args.database_url)
        try:
            rows.append(_gate(stack, fault, matrix / fault, extra))
        finally:
            runner.down(name)
        print(f"fault-matrix: {fault}: exit {rows[-1]['exit_code']} {rows[-1]['gate'].get('reason', '')}", flush=True)
    (matrix / "fault-matrix.json").write_text(json.dumps(rows, indent=2) + "\n")
    (matrix / "fault-matrix.md").write_text(render(rows))
    print(render(rows))
    print(f"fault-matrix: {matrix / 'fault-matrix.md'}")
    baseline_red = any(r["fault"] == BASELINE and r["exit_code"] != 0 for r in rows)
    missed = any(r["fault"] != BASELINE and not caught_by_gate(r) for r in rows)
    return 1 if baseline_red or missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
