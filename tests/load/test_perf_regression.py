"""The load step's judgements beyond its thresholds, for real.

Regressions against the last green run: a healthy run of an environment records the baseline
and says so; the same environment served by a stack whose API answers 150 ms late (well over
twice as slow) is red, naming the regressed endpoints, both values and the run it compared
with (the pure comparison: tests/fixtures/test_perf_baseline.py). Invariants: checkout_flow
holds a sample of its orders to the core's invariants, so a currency mix-up fails its checks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.load.test_load_cli import CI_SLOS, on, shopflow_load, summary_of

SLOW_MS = 150


def test_a_stack_twice_as_slow_as_the_baseline_is_red_naming_the_endpoints(
    tmp_path: Path, sqlite_stack, stack_factory, request
) -> None:
    slos = tmp_path / "slos.toml"  # the CI limits; a short run compares endpoints with 5 requests or more
    slos.write_text(CI_SLOS.read_text() + "\n[local.regression]\nmin_requests = 5\n")
    first = shopflow_load(tmp_path, "checkout_flow", *on(sqlite_stack), "--duration", "8s", "--purge", "--slos", str(slos))
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "this run is the baseline" in first.stdout
    baseline_run = (tmp_path / "reports" / "latest").resolve().name

    slow = stack_factory("sqlite", faults=(f"slow_api:{SLOW_MS}",), until=request)
    # the same environment (its name: whose history counts), now served by the slow stack
    same_name = tmp_path / "same-environment-slow-stack.toml"
    same_name.write_text(slow.env_file.read_text().replace(f"environments.{slow.name}", f"environments.{sqlite_stack.name}"))
    second = shopflow_load(
        tmp_path,
        "checkout_flow",
        "--env",
        sqlite_stack.name,
        "--env-file",
        str(same_name),
        "--duration",
        "8s",
        "--purge",
        "--slos",
        str(slos),
    )
    assert second.returncode == 1, second.stdout[-2000:] + second.stderr[-2000:]
    assert f"performance regression against {baseline_run}" in second.stdout
    summary = summary_of(tmp_path)
    p50 = [c for c in summary["regression"]["changes"] if c["metric"] == "p50_ms"]
    # every endpoint with enough requests in both runs to compare is slower by the fault's 150 ms
    assert len(p50) >= 2 and all(c["regressed"] and c["today"] > 2 * c["baseline"] for c in p50), json.dumps(p50, indent=1)
    assert "GET /api/products" in {c["endpoint"] for c in p50}
    assert "GET /api/products: p50" in second.stdout and summary["verdict"] == "failed"
    assert (tmp_path / "reports" / "latest" / "regression.png").stat().st_size > 1000


def test_checkout_flow_samples_its_orders_against_the_invariants(tmp_path: Path, stack_factory, request) -> None:
    mixed = stack_factory("sqlite", faults=("currency_mixup",), until=request)
    result = shopflow_load(tmp_path, "checkout_flow", *on(mixed), "--duration", "6s", "--purge")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "invariant 'currency' broken: payment" in result.stdout + result.stderr
    checks = summary_of(tmp_path)["checks"]
    assert checks["failed"] >= 1
    # said by the master whichever worker saw it, with its count
    assert any(p.startswith("invariant 'currency' broken: payment") for p in checks["problems"]), checks
