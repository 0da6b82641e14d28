"""Early abort: nothing before the grace period, only a sustained breach, and a recovery resets it."""

from __future__ import annotations

from shopflow_qa.core.abort import BreachWatch
from shopflow_qa.core.slo import RunStats, Threshold

P95 = Threshold("p95_ms", 400, "<=", "GET /api/products")


def stats(p95: float, rps: float = 0.1) -> RunStats:
    return RunStats.from_dict(
        {"endpoints": {"GET /api/products": {"count": 10, "percentiles_ms": {"p95_ms": p95}}}, "total": {"count": 10, "rps": rps}}
    )


def test_a_sustained_breach_after_the_grace_period_aborts_and_says_which_and_when() -> None:
    watch = BreachWatch([P95, Threshold("min_rps", 100, ">=")], grace_s=5, sustain_s=3)
    assert watch.check(1, stats(1600)) is None  # grace
    assert watch.check(5, stats(1600)) is None and watch.check(7, stats(1600)) is None
    breach = watch.check(8, stats(1600))
    assert breach is not None and breach["name"] == "p95_ms[GET /api/products]" and breach["measured"] == 1600
    assert breach["breached_since_s"] == 5 and breach["aborted_at_s"] == 8


def test_a_passing_check_resets_the_breach_and_throughput_is_not_judged_during_the_run() -> None:
    watch = BreachWatch([P95, Threshold("min_rps", 100, ">=")], grace_s=0, sustain_s=3)
    assert watch.check(0, stats(900)) is None
    assert watch.check(2, stats(100)) is None  # recovered
    assert watch.check(4, stats(900)) is None and watch.check(6, stats(900)) is None
    assert watch.check(7, stats(900)) is not None
    assert BreachWatch([P95], grace_s=0, sustain_s=0).check(0, stats(100)) is None
