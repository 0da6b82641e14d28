"""Was the load generator, not the shop, the bottleneck of a run? Then its figures judge nothing.

Why: a Locust process is one core at most (gevent runs one thread). Past that core, requests
queue inside the generator: response times grow and arrivals are dropped, and an SLO verdict
would blame the shop for the generator's limit. Two signs, either one makes the run
"inconclusive" (exit 2, docs/architecture.md "Exit codes"):

- a generator process (the local one, a worker or the master) wanted at least
  SATURATED_CPU_PERCENT of a core for a good part of the run: on the CPU, or runnable and
  waiting for one (other processes on the same core starve a generator as surely as its own
  work; Locust warns at the same 90 % of CPU);
- open-model arrivals were dropped while the shop kept most users idle: the users were free,
  so the flows were late because the generator could not start them on time.

Plain and clock-free (the Locust side samples, this judges), so it is unit-tested without Locust.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SATURATED_CPU_PERCENT = 90.0
SATURATED_SHARE = 0.2  # of a process's one-second samples at or above the limit
MIN_SATURATED_SAMPLES = 2
DROPPED_SHARE = 0.01  # of the scheduled arrivals
IDLE_USERS_SHARE = 0.5  # the shop kept fewer than half of the users busy on average


@dataclass
class GeneratorFigures:
    """What the generator measured about itself during one run."""

    cpu_percent: dict[str, list[float]] = field(default_factory=dict)  # per process, a sample a second: CPU + run-queue wait
    users: int = 0
    busy_user_s: float = 0.0  # user-seconds spent inside flows (requests, their waits, polling)
    run_s: float = 0.0
    scheduled: int = 0  # open-model arrivals (0: a closed model, no arrivals to drop)
    dropped: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "processes": len(self.cpu_percent),
            "cpu_max_percent": {name: round(max(s), 1) for name, s in sorted(self.cpu_percent.items()) if s},
            "busy_users_mean": round(self.busy_users, 2),
            "users": self.users,
        }

    @property
    def busy_users(self) -> float:
        """How many users were inside a flow on average (Little's law on the run's flows)."""
        return self.busy_user_s / self.run_s if self.run_s > 0 else 0.0


def _saturated(samples: list[float]) -> bool:
    hot = sum(1 for s in samples if s >= SATURATED_CPU_PERCENT)
    return hot >= MIN_SATURATED_SAMPLES and hot >= SATURATED_SHARE * len(samples)


def bottleneck(figures: GeneratorFigures) -> str:
    """Why the generator limited the run, in one line; "" when it did not."""
    hot = sorted(name for name, samples in figures.cpu_percent.items() if _saturated(samples))
    if hot:
        peaks = ", ".join(f"{name} {max(figures.cpu_percent[name]):.0f} %" for name in hot)
        return (
            f"the load generator was the bottleneck: {peaks} of a core (on it or waiting for it: ≥ {SATURATED_CPU_PERCENT:.0f} % "
            f"in at least {SATURATED_SHARE:.0%} of the run); add generator processes (--workers) or machines, or lower the rate"
        )
    if (
        figures.scheduled
        and figures.dropped > DROPPED_SHARE * figures.scheduled
        and figures.users
        and figures.busy_users < IDLE_USERS_SHARE * figures.users
    ):
        return (
            f"the load generator was the bottleneck: {figures.dropped} of {figures.scheduled} arrivals dropped while the "
            f"shop kept only {figures.busy_users:.1f} of {figures.users} users busy on average (the generator could not "
            "start flows on time)"
        )
    return ""
