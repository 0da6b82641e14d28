"""The generator's own health (shopflow_qa/core/generator_health.py): when the generator, not the
shop, limited a run, the run is inconclusive with the reason; a busy shop is never blamed on it."""

from __future__ import annotations

from shopflow_qa.core.generator_health import GeneratorFigures, bottleneck
from shopflow_qa.core.load_plan import size_generator


def test_a_process_at_a_full_core_for_much_of_the_run_is_the_bottleneck() -> None:
    figures = GeneratorFigures(cpu_percent={"locust": [40, 95, 99, 98, 97, 60]}, users=10, busy_user_s=5, run_s=6)
    reason = bottleneck(figures)
    assert reason.startswith("the load generator was the bottleneck: locust 99 % of a core"), reason
    assert "--workers" in reason


def test_one_busy_worker_among_idle_ones_is_named() -> None:
    figures = GeneratorFigures(cpu_percent={"master": [2, 3, 2], "w1": [30, 35, 31], "w2": [91, 96, 93]})
    assert "w2 96 %" in bottleneck(figures) and "w1" not in bottleneck(figures)


def test_a_single_spike_or_a_busy_but_not_full_core_is_not_a_bottleneck() -> None:
    assert bottleneck(GeneratorFigures(cpu_percent={"locust": [20, 99, 30, 25, 20, 22, 18, 30, 25, 20]})) == ""
    assert bottleneck(GeneratorFigures(cpu_percent={"locust": [85, 88, 89, 87]})) == ""


def test_arrivals_dropped_while_users_sat_idle_are_the_generators_fault() -> None:
    figures = GeneratorFigures(cpu_percent={"locust": [50, 60]}, users=40, busy_user_s=60, run_s=10, scheduled=200, dropped=30)
    reason = bottleneck(figures)
    assert "30 of 200 arrivals dropped" in reason and "6.0 of 40 users busy" in reason, reason


def test_arrivals_dropped_because_the_shop_kept_every_user_busy_blame_the_shop() -> None:
    slow_shop = GeneratorFigures(cpu_percent={"locust": [10, 12]}, users=4, busy_user_s=39, run_s=10, scheduled=40, dropped=20)
    assert bottleneck(slow_shop) == ""


def test_the_generator_is_sized_by_usable_cores_unless_told() -> None:
    assert size_generator(None, cores=2) == (2, "2 Locust workers + a master: 2 usable cores (--workers 1 for one process)")
    assert size_generator(None, cores=1) == (0, "1 process: 1 usable core")
    assert size_generator(1, cores=8) == (0, "1 process: --workers 1")
    assert size_generator(0, cores=8)[0] == 0
    assert size_generator(3, cores=2) == (3, "3 Locust workers + a master: --workers 3 (2 usable cores)")
