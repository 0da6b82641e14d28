"""Load shapes as plain schedules: how many users at second t of a run (None = stop).

Why plain: the stages are unit-tested in a pytest process where Locust may not be imported;
shopflow_qa/loadtests/shapes_locust.py wraps a schedule in Locust's LoadTestShape. Peaks come from the
environment's sizing (shopflow_qa/cli/load_run.py), durations from `--duration`.
"""

from __future__ import annotations

from dataclasses import dataclass

SHAPES = ("ramp", "step", "spike", "soak")


@dataclass(frozen=True)
class Stage:
    until_s: float  # end of this stage, seconds from the start
    users: int
    spawn_rate: float


def stages(shape: str, peak_users: int, duration_s: float) -> list[Stage]:
    """The stages of `shape` reaching `peak_users` within `duration_s` seconds."""
    peak = max(1, peak_users)
    d = float(duration_s)
    if shape == "ramp":  # up over 40 %, hold 40 %, down over 20 %
        return [Stage(d * 0.4, peak, peak / max(d * 0.4, 1)), Stage(d * 0.8, peak, peak), Stage(d, 1, peak / max(d * 0.2, 1))]
    if shape == "step":  # four equal steps of a quarter of the peak each
        return [Stage(d * (i + 1) / 4, max(1, round(peak * (i + 1) / 4)), peak) for i in range(4)]
    if shape == "spike":  # a quiet base, a sudden spike of 3× the peak, back to base
        base = max(1, peak // 4)
        return [Stage(d * 0.3, base, base), Stage(d * 0.5, peak * 3, peak * 3), Stage(d, base, peak * 3)]
    if shape == "soak":  # reach the peak quickly and hold it for the whole duration
        return [Stage(min(10.0, d * 0.1), peak, peak / max(min(10.0, d * 0.1), 1)), Stage(d, peak, peak)]
    raise ValueError(f"unknown shape '{shape}' (known: {', '.join(SHAPES)})")


def at(schedule: list[Stage], t: float) -> tuple[int, float] | None:
    """(users, spawn rate) at second `t`, or None once the schedule is over."""
    for stage in schedule:
        if t < stage.until_s:
            return stage.users, stage.spawn_rate
    return None
