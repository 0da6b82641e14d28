"""Load shapes: each schedule reaches its peak, ends at the duration, and never asks for zero users."""

from __future__ import annotations

import pytest

from shopflow_qa.core import shapes


def users_over(shape: str, peak: int = 20, duration: float = 100.0) -> list[int]:
    schedule = shapes.stages(shape, peak, duration)
    return [shapes.at(schedule, t)[0] for t in range(int(duration))]


@pytest.mark.parametrize("shape", shapes.SHAPES)
def test_every_shape_ends_at_the_duration_and_keeps_at_least_one_user(shape: str) -> None:
    schedule = shapes.stages(shape, 20, 100)
    assert shapes.at(schedule, 99.9) is not None and shapes.at(schedule, 100) is None
    assert min(users_over(shape)) >= 1
    assert all(stage.spawn_rate > 0 for stage in schedule)


def test_ramp_holds_the_peak_in_its_middle_and_comes_down() -> None:
    users = users_over("ramp")
    assert users[50] == 20 and users[90] == 1


def test_step_climbs_in_four_equal_steps() -> None:
    users = users_over("step")
    assert [users[t] for t in (10, 30, 60, 90)] == [5, 10, 15, 20]


def test_spike_jumps_to_three_times_the_peak_and_back() -> None:
    users = users_over("spike")
    assert users[10] == 5 and users[40] == 60 and users[80] == 5


def test_soak_holds_the_peak_to_the_end() -> None:
    users = users_over("soak")
    assert users[5] == 20 and users[99] == 20


def test_an_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown shape 'wave'"):
        shapes.stages("wave", 10, 60)
