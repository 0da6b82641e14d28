"""The load step's judgements beyond its thresholds, for real.

Regressions against the last green run, at an honest 2×: the stacks spend SERVICE_MS on every
/api request (`stack up --service-ms`, the work a production API does per request; not a fault,
so a run on it is a green baseline). A first healthy run records the baseline and says so, a
second stays green ("no regression"); the same environment then served by a stack with the same
service time plus `slow_api:SERVICE_MS` — every API request twice as slow — is red, naming the
regressed endpoints, both values and the run it compared with. The pure comparison:
tests/fixtures/test_perf_baseline.py. Invariants: checkout_flow holds a sample of its orders to
the core's invariants, so a currency mix-up fails its checks.

Why 100 ms: `[local.regression]` flags a p50 only when it rises by more than `absolute` (25 ms)
AND more than `relative` (50 %) of the baseline. Doubling a bare local endpoint (~4 ms) adds
~4 ms, below the noise floor those tolerances rightly ignore. Doubling S ms of service time adds
S ms to a p50 of S + overhead (~5 ms; ~15 ms on the pay route, its call to the sandbox), so a
2× is +80-100 % and passes both; what S must also beat is the busy CI box's noise on a healthy
p50, up to +45 ms seen: at S = 50 the relative tolerance is ~28 ms, under that noise (2 false
alarms in 10 healthy runs, benchmarks/results/perf_regression_s50.md), and a baseline inflated
by 15 ms hides the 2×; at S = 100 noise alarms only above ~55 ms, and the 2× (+100 ms) stays red
unless the baseline run was inflated by over 30 ms — which a busy CI box does to one or two
endpoints now and then (up to +90 ms seen): those are held to the tolerance rule, the rest (the
majority, or the baseline is too noisy to judge) to the 2× (CLEAN_OVERHEAD_MS). 10 users: ~20 requests per endpoint in 6 s
even at 2× (a p50 is compared with 10 or more).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shopflow_qa.core.slos import SLO_FILE, load_slos
from tests.load.test_load_cli import CI_SLOS, on, shopflow_load, summary_of

SERVICE_MS = 100
# A baseline p50 up to this far above the service time is a clean measurement (the stack's own
# work, the pay route's sandbox call: 110-130 ms): the 2× must then pass both tolerances. A busy
# CI box has inflated single endpoints' baseline p50 by up to 90 ms (190 ms at S = 100), and
# +100 ms on 190 is rightly under the 50 % tolerance: such an endpoint is held to the rule alone.
CLEAN_OVERHEAD_MS = 30
RUN = ("checkout_flow", "--users", "10", "--duration", "6s", "--purge")


def _local_tolerances() -> dict[str, Any]:
    """The real `[local.regression]` tolerances (only `min_requests` lowered for 6 s runs)."""
    return {**load_slos(SLO_FILE)["local"]["regression"], "min_requests": 5}


def _slos_file(tmp_path: Path, tolerances: dict[str, Any]) -> Path:
    lines = ["", "[local.regression]"]
    for key, value in tolerances.items():
        inline = ", ".join(f"{part} = {number}" for part, number in value.items()) if isinstance(value, dict) else None
        lines.append(f"{key} = {{ {inline} }}" if inline is not None else f"{key} = {value}")
    path = tmp_path / "slos.toml"  # the CI limits plus local's regression tolerances
    path.write_text(CI_SLOS.read_text() + "\n".join(lines) + "\n")
    return path


def _latest_run(tmp_path: Path) -> str:
    return (tmp_path / "reports" / "latest").resolve().name


def test_a_stack_twice_as_slow_as_the_baseline_is_red_naming_the_endpoints(tmp_path: Path, stack_factory, request) -> None:
    tolerances = _local_tolerances()
    slos = ("--slos", str(_slos_file(tmp_path, tolerances)))
    healthy = stack_factory("sqlite", service_ms=SERVICE_MS, until=request)
    first = shopflow_load(tmp_path, *RUN, *on(healthy), *slos)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "this run is the baseline" in first.stdout and "active faults" not in first.stdout + first.stderr
    baseline_run = _latest_run(tmp_path)

    again = shopflow_load(tmp_path, *RUN, *on(healthy), *slos)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert f"no regression against {baseline_run}" in again.stdout
    compared = summary_of(tmp_path)["regression"]
    assert compared["status"] == "compared" and any(c["metric"] == "p50_ms" for c in compared["changes"]), compared
    last_green = _latest_run(tmp_path)

    slow = stack_factory("sqlite", faults=(f"slow_api:{SERVICE_MS}",), service_ms=SERVICE_MS, until=request)
    # the same environment (its name: whose history counts), now served by the 2× stack
    same_name = tmp_path / "same-environment-slow-stack.toml"
    same_name.write_text(slow.env_file.read_text().replace(f"environments.{slow.name}", f"environments.{healthy.name}"))
    second = shopflow_load(tmp_path, *RUN, "--env", healthy.name, "--env-file", str(same_name), *slos)
    assert second.returncode == 1, second.stdout[-2000:] + second.stderr[-2000:]
    assert f"performance regression against {last_green}" in second.stdout
    summary = summary_of(tmp_path)
    p50 = [c for c in summary["regression"]["changes"] if c["metric"] == "p50_ms"]
    figures = json.dumps(p50, indent=1)
    limit = tolerances["p50_ms"]
    for change in p50:  # the tolerance rule, held on real figures: named exactly when both are passed
        delta = change["today"] - change["baseline"]
        assert change["baseline"] >= SERVICE_MS, figures
        assert change["regressed"] == (delta > limit["absolute"] and delta > limit["relative"] * change["baseline"]), figures
    # red for the right reason: every endpoint measured at its service time in the baseline shows the 2×
    clean = [c for c in p50 if c["baseline"] <= SERVICE_MS + CLEAN_OVERHEAD_MS]
    assert len(clean) >= len(p50) // 2 + 1, f"the baseline run itself was too noisy to judge: {figures}"
    assert all(c["regressed"] for c in clean), figures
    named = next(c["endpoint"] for c in clean)
    assert f"{named}: p50" in second.stdout and summary["verdict"] == "failed"
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
