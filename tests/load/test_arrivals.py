"""The open arrival-rate schedule: a fixed start rate whatever the response time, and honest drops."""

from __future__ import annotations

import pytest

from shopflow_qa.core.arrivals import ArrivalSchedule, pool_size


def test_free_users_start_flows_exactly_on_the_schedule() -> None:
    schedule = ArrivalSchedule(rate=20, duration_s=30)
    starts = []
    now = 100.0
    while (slot := schedule.claim(now)) is not None:
        starts.append(slot)
        now = slot + 0.01  # the flow takes 10 ms: always a free user
    assert len(starts) == 600 and schedule.dropped == 0
    assert starts[0] == 100.0 and starts[1] == pytest.approx(100.05) and starts[-1] == pytest.approx(129.95)
    achieved = (len(starts) - 1) / (starts[-1] - starts[0])
    assert achieved == pytest.approx(20, rel=0.05)


def test_slow_flows_do_not_slow_the_arrivals_down_they_drop_iterations() -> None:
    schedule = ArrivalSchedule(rate=10, duration_s=10, late_s=0.2)
    now = 0.0
    while (slot := schedule.claim(now)) is not None:
        now = slot + 1.0  # one user, each flow takes a second: 9 of every 10 slots pass by
    schedule.finish(now)
    # about one start a second (the first, then each slot at most 0.2 s overdue), the rest dropped
    assert schedule.report() == {"rate": 10, "scheduled": 100, "started": 11, "dropped": 89}


def test_a_slightly_late_user_still_starts_the_slot_at_once() -> None:
    schedule = ArrivalSchedule(rate=1, duration_s=5, late_s=0.5)
    assert schedule.claim(0.0) == 0.0
    assert schedule.claim(1.3) == 1.3 and schedule.dropped == 0  # 0.3 s late: started now
    assert schedule.claim(3.0) == 3.0 and schedule.dropped == 1  # slot 2 (due 2.0) is 1 s late: dropped


def test_slots_due_when_the_run_stops_and_never_claimed_count_as_dropped() -> None:
    schedule = ArrivalSchedule(rate=5, duration_s=10)
    schedule.claim(0.0)
    schedule.finish(2.0)  # slots 1..10 were due by t=2.0
    assert schedule.dropped == 10 and schedule.started == 1


def test_pool_size_and_rate_checks() -> None:
    assert pool_size(20) == 40 and pool_size(0.1) == 2 and pool_size(1000) == 500
    with pytest.raises(ValueError):
        ArrivalSchedule(rate=0, duration_s=1)
