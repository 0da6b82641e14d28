"""Early abort (k6's abortOnFail): thresholds checked during the run after a grace period; a
breach that lasts `sustain_s` stops the run. Plain, so it is unit-tested without Locust."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shopflow_qa.core.slo import RunStats, Threshold, evaluate

NOT_DURING_RUN = ("min_rps",)  # whole-run throughput is meaningless while users still spawn


@dataclass
class BreachWatch:
    thresholds: list[Threshold]
    grace_s: float = 10.0
    sustain_s: float = 5.0
    since: dict[str, float] = field(default_factory=dict)

    def check(self, elapsed_s: float, stats: RunStats) -> dict[str, Any] | None:
        """The breach to abort on (threshold, limit, measured, since, at), or None to carry on."""
        if elapsed_s < self.grace_s:
            return None
        live = [t for t in self.thresholds if t.metric not in NOT_DURING_RUN]
        failing = {v.threshold.name: v for v in evaluate(live, stats) if not v.passed and v.measured is not None}
        self.since = {name: self.since.get(name, elapsed_s) for name in failing}
        for name, verdict in failing.items():
            if elapsed_s - self.since[name] >= self.sustain_s:
                return {**verdict.as_dict(), "breached_since_s": round(self.since[name], 1), "aborted_at_s": round(elapsed_s, 1)}
        return None
