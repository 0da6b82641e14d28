"""What a doctor check gets and gives back."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from shopflow_qa.core.environment import Environment

# Short on purpose: doctor on an unreachable host must answer in seconds, not minutes.
NETWORK_TIMEOUT_S = 3.0


class Status(Enum):
    OK = "✓"
    FAIL = "✗"
    SKIP = "–"


@dataclass(frozen=True)
class CheckResult:
    """One line of doctor output: a mark, what was checked, what was found, and the fix."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value} {self.name}: {self.detail}"
        if self.status is Status.FAIL and self.fix:
            text += f" — fix: {self.fix}"
        return text


@dataclass
class DoctorContext:
    """The environment under examination and what earlier checks learned about it."""

    environment: Environment
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    timeout: float = NETWORK_TIMEOUT_S
    unresolved_hosts: set[str] = field(default_factory=set)
    unreachable_urls: set[str] = field(default_factory=set)
    aws_usable: bool = False

    @classmethod
    def ok(cls, name: str, detail: str) -> CheckResult:
        return CheckResult(name, Status.OK, detail)

    @classmethod
    def fail(cls, name: str, detail: str, fix: str) -> CheckResult:
        return CheckResult(name, Status.FAIL, detail, fix)

    @classmethod
    def skip(cls, name: str, detail: str) -> CheckResult:
        return CheckResult(name, Status.SKIP, detail)
