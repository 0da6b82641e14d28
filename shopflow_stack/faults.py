"""Named defects the local stack can be started with, to prove the harness goes red.

Switched on with `SHOPFLOW_FAULTS=a,b` or `shopflow-qa stack up --fault a`; never on unless
asked. Each fault is deterministic (an `error_rate` fault fails every Nth call, not at
random) so that a fault proof fails the same tests every time. stack/README.md lists them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FaultSpec:
    name: str
    service: str
    breaks: str
    default_param: int | None = None


REGISTRY: dict[str, FaultSpec] = {
    spec.name: spec
    for spec in (
        FaultSpec("schema_drift", "api", "product JSON renames `price` to `unit_price`"),
        FaultSpec("error_rate", "api", "every Nth /api request answers 500 (error_rate:N, default 5)", 5),
        FaultSpec("stale_version", "api", "/health reports an old version (`0000000-stale`)"),
        FaultSpec("health_degraded", "api", "/health answers 200 but its body has a failing check"),
        FaultSpec("slow_api", "api", "adds N ms to every /api request (slow_api:N, default 1500)", 1500),
        FaultSpec("decline_ignored", "api", "declined cards yield paid orders"),
        FaultSpec("skip_3ds", "api", "cards that require 3DS are paid without the challenge"),
        FaultSpec("refund_overpays", "api", "refunds above the captured amount are accepted"),
        FaultSpec("refund_not_recorded", "api", "refunds succeed at the provider but the order does not show them"),
        FaultSpec("worker_stalled", "worker", "the worker never fulfils paid orders nor sends emails"),
        FaultSpec("wrong_total", "api", "the payment charges 100 minor units more than the order total"),
        FaultSpec("slow_checkout", "api", "order creation and payment take N ms longer (slow_checkout:N, default 1200)", 1200),
        FaultSpec("currency_mixup", "api", "the pay endpoint's answer gives the payment another currency than the order's"),
        FaultSpec("slow_page", "web", "the storefront's checkout page answers N ms late (slow_page:N, default 2500)", 2500),
        FaultSpec("pay_button_broken", "web", "the storefront's pay button does nothing"),
        FaultSpec("pay_button_unnamed", "web", "the storefront's pay button has no accessible name (its text is aria-hidden)"),
        FaultSpec("decline_message_wrong", "web", "the insufficient-funds message reads as a generic decline"),
    )
}


class UnknownFault(ValueError):
    pass


@dataclass
class Faults:
    """The set of active faults of one stack process, with their parameters."""

    params: dict[str, int | None] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __contains__(self, name: str) -> bool:
        return name in self.params

    @property
    def names(self) -> list[str]:
        return sorted(self.params)

    def param(self, name: str) -> int:
        value = self.params.get(name)
        return value if value is not None else (REGISTRY[name].default_param or 0)

    def every_nth(self, name: str) -> bool:
        """True on every Nth call while fault `name` is on (deterministic error rates)."""
        if name not in self.params:
            return False
        with self._lock:
            count = self._counters.get(name, 0) + 1
            self._counters[name] = count
        return count % max(self.param(name), 1) == 0


def parse_faults(text: str | list[str]) -> Faults:
    """Parse `a,b:3` (or a list of such items) into Faults; unknown names are an error."""
    items = text if isinstance(text, list) else text.split(",")
    params: dict[str, int | None] = {}
    for item in (i.strip() for i in items):
        if not item:
            continue
        name, _, raw = item.partition(":")
        if name not in REGISTRY:
            raise UnknownFault(f"unknown fault '{name}' (known: {', '.join(sorted(REGISTRY))})")
        try:
            params[name] = int(raw) if raw else None
        except ValueError:
            raise UnknownFault(f"fault '{name}' takes a whole number, got '{raw}'") from None
    return Faults(params)
