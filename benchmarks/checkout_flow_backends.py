"""checkout_flow throughput and p95 the local stack sustains on SQLite and on PostgreSQL;
written to benchmarks/results/checkout_flow_backends.md.

Why: the default stack is SQLite (one writer at a time), staging is PostgreSQL + Redis. A
performance engineer reading a local load result needs to know where each backend stops
keeping up. Method: for each backend a fresh stack; `shopflow-qa load checkout_flow --shape
constant_rate --rate R` (the open model: arrivals do not slow down with the shop) at rising
rates; a rate is *sustained* when no arrival was dropped and every SLO of `data/slos.toml`
held. Generator and stack share the same 2 cores, as they do in `make gate`.

    .venv/bin/python benchmarks/checkout_flow_backends.py [--rates 10,20,40,60] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from shopflow_stack import runner  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "checkout_flow_backends.md"
POSTGRES_ADMIN_URL = os.environ.get("SHOPFLOW_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SHOPFLOW_TEST_REDIS", "redis://127.0.0.1:6379/15")
PAY = "POST /api/orders/[id]/pay"


@dataclass
class Step:
    backend: str
    rate: float
    started: int
    dropped: int
    checkouts: int
    rps: float
    p95_ms: float
    pay_p95_ms: float
    verdict: str

    @property
    def sustained(self) -> bool:
        return self.dropped == 0 and self.verdict == "passed"


def _postgres_database() -> tuple[str, str]:
    import psycopg

    name = f"shopflow_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def _drop(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_step(stack_name: str, env_file: Path, backend: str, rate: float, seconds: int) -> Step:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "shopflow_qa.cli",
            "load",
            "checkout_flow",
            "--env-file",
            str(env_file),
            "--env",
            stack_name,
            "--shape",
            "constant_rate",
            "--rate",
            f"{rate:g}",
            "--duration",
            f"{seconds}s",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    summary_path = sorted((REPO_ROOT / "reports").glob(f"*-{stack_name}-load-checkout_flow/summary.json"))[-1]
    summary = json.loads(summary_path.read_text())
    pay = next((t["measured"] for t in summary["thresholds"] if t["metric"] == "p95_ms" and t["endpoint"] == PAY), float("nan"))
    return Step(
        backend,
        rate,
        summary["arrivals"]["started"],
        summary["arrivals"]["dropped"],
        summary["successful_checkouts"],
        summary["total"]["rps"],
        summary["total"]["p95_ms"],
        pay,
        summary["verdict"],
    )


def measure(backend: str, rates: list[float], seconds: int) -> list[Step]:
    """Rising rates on one fresh stack; stops after the first rate it cannot sustain."""
    stack_name = f"bench-{backend[:2]}-{uuid.uuid4().hex[:4]}"
    database = None
    database_url = redis_url = None
    if backend == "postgresql":
        database, database_url = _postgres_database()
        redis_url = REDIS_URL
    steps: list[Step] = []
    try:
        state, _ = runner.up(stack_name, database_url=database_url, redis_url=redis_url)
        for rate in rates:
            step = run_step(stack_name, state.directory / "env.toml", backend, rate, seconds)
            steps.append(step)
            print(
                f"{backend:10} {rate:5g}/s started {step.started} dropped {step.dropped} p95 {step.p95_ms} ms "
                f"pay p95 {step.pay_p95_ms} ms → {'sustained' if step.sustained else 'NOT sustained'}",
                flush=True,
            )
            if not step.sustained:
                break
    finally:
        runner.down(stack_name)
        if database:
            _drop(database)
    return steps


def report(steps: list[Step], seconds: int) -> str:
    lines = [
        "# checkout_flow on SQLite and on PostgreSQL (benchmarks/checkout_flow_backends.py)",
        "",
        f"{datetime.now(UTC).isoformat(timespec='seconds')} · {os.cpu_count()} cores · "
        f"load average {os.getloadavg()[0]:.1f} at the end · Python {platform.python_version()} · {seconds} s per rate · "
        "open model (`--shape constant_rate`); generator and stack on the same cores",
        "",
        "A flow is 7 requests: list products, product, cart, cart line, order, pay, order read.",
        "",
        "| backend | flows/s asked | started | dropped | checkouts | requests/s | p95 ms (all) | p95 ms (pay) | SLOs | sustained |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(
            f"| {s.backend} | {s.rate:g} | {s.started} | {s.dropped} | {s.checkouts} | {s.rps:.1f} | {s.p95_ms:g} | "
            f"{s.pay_p95_ms:g} | {s.verdict} | {'yes' if s.sustained else 'no'} |"
            for s in steps
        ),
        "",
    ]
    for backend in dict.fromkeys(s.backend for s in steps):
        held = [s for s in steps if s.backend == backend and s.sustained]
        best = max(held, key=lambda s: s.rate) if held else None
        lines.append(
            f"- {backend}: "
            + (
                f"sustains {best.rate:g} checkout flows/s ({best.rps:.0f} requests/s), "
                f"p95 {best.p95_ms:g} ms, pay p95 {best.pay_p95_ms:g} ms"
                if best
                else "sustains none of the rates tried"
            )
        )
    lines += [
        "",
        "Past the knee response times jump from tens to hundreds of ms and arrivals are dropped: the API's "
        "process is out of CPU. Here PostgreSQL and Redis share the 2 cores with the API and the generator "
        "(on staging they have hosts of their own), so these figures are a floor, not staging's capacity.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,20,40,60,80", help="flows/s to try, rising")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    steps = [step for backend in args.backends.split(",") for step in measure(backend, rates, args.seconds)]
    text = report(steps, args.seconds)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
