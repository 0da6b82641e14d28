"""The open model: flows start at a fixed rate whatever the shop's response time (k6's
constant-arrival-rate), with the iterations that could not start on time counted as dropped.

Why: a closed crowd slows down with the shop (coordinated omission) and hides the slowness a
gate exists for. Slots are due at start + i/rate; a free user claims the next slot and waits
for it; a slot found more than `late_s` overdue (every user was busy) is dropped, never
started late in a burst. Plain and clock-injected, so it is unit-tested without Locust.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class ArrivalSchedule:
    rate: float  # flows per second
    duration_s: float
    late_s: float = 0.5
    start: float | None = None
    next_slot: int = 0
    started: int = 0
    dropped: int = 0

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be positive, got {self.rate}")

    @property
    def total_slots(self) -> int:
        return math.floor(self.duration_s * self.rate)

    def slot_time(self, index: int) -> float:
        assert self.start is not None
        return self.start + index / self.rate

    def claim(self, now: float) -> float | None:
        """The time the caller should start its next flow (≥ now), or None when the schedule is over.
        Overdue slots are dropped on the way."""
        if self.start is None:
            self.start = now
        while self.next_slot < self.total_slots:
            due = self.slot_time(self.next_slot)
            self.next_slot += 1
            if now - due > self.late_s:
                self.dropped += 1
                continue
            self.started += 1
            return max(due, now)
        return None

    def finish(self, now: float) -> None:
        """At the end of the run: slots already due that no user was free to claim are dropped too."""
        if self.start is None:
            return
        due = min(self.total_slots, math.floor((now - self.start) * self.rate) + 1)
        if due > self.next_slot:
            self.dropped += due - self.next_slot
            self.next_slot = due

    def report(self) -> dict[str, float | int]:
        return {"rate": self.rate, "scheduled": self.total_slots, "started": self.started, "dropped": self.dropped}


def pool_size(rate: float, flow_s: float = 2.0, cap: int = 500) -> int:
    """Users to keep ready (k6's preAllocatedVUs): enough for `rate` flows of `flow_s` seconds in flight."""
    return max(2, min(cap, math.ceil(rate * flow_s)))
