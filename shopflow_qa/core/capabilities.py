"""What an environment offers beyond its public API, declared in its table, never guessed.

`[environments.<name>.capabilities]` says whether there is a payment sandbox of our own, a
mailbox the harness may read, where server logs are read from (local files, CloudWatch or
nowhere), an admin API the harness holds secrets for, and fault switches. A test that needs
one says so with `@pytest.mark.needs("mailbox")`; where it is missing the test is skipped with
`reason()`'s one line, and the gate lists it under "not verified on this environment", so a
green gate never hides what it did not check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from shopflow_qa.core.errors import ConfigError

SERVER_LOGS = ("local", "cloudwatch", "none")
CAPABILITIES: dict[str, str] = {
    "payments_sandbox": "the local payment sandbox (its own test pages and webhooks), not a real provider",
    "mailbox": "the emails the shop sent, readable through the admin API",
    "server_logs": "server log lines for a failed test (local files or CloudWatch)",
    "admin_api": "the admin API and site, with admin secrets the harness holds",
    "fault_switches": "stack faults the harness may switch on (fault proofs)",
}
MARKER = "needs"
MARKER_HELP = f"needs(name, …): skipped where the environment lacks a capability ({', '.join(CAPABILITIES)})"
_REASON = re.compile(r"^not verified on (?P<env>\S+): needs (?P<name>[a-z_]+)\b")


@dataclass(frozen=True)
class Capabilities:
    """One environment's capabilities; an absent table offers only the admin API."""

    payments_sandbox: bool = False
    mailbox: bool = False
    server_logs: str = "none"
    admin_api: bool = True
    fault_switches: bool = False

    def offers(self, name: str) -> bool:
        value = getattr(self, name)
        return value != "none" if name == "server_logs" else bool(value)

    @property
    def offered(self) -> list[str]:
        return [name for name in CAPABILITIES if self.offers(name)]

    def describe(self) -> str:
        """`mailbox, server_logs (cloudwatch), admin_api` for doctor and `envs`."""
        words = [f"{n} ({self.server_logs})" if n == "server_logs" else n for n in self.offered]
        return ", ".join(words) or "none"


def check(where: str, table: Mapping[str, Any]) -> None:
    """The schema of a capabilities table: known names, booleans, `server_logs` one of SERVER_LOGS."""
    for key, value in table.items():
        if key not in CAPABILITIES:
            raise ConfigError(f"{where}.{key}: unknown capability (known: {', '.join(CAPABILITIES)})")
        if key == "server_logs":
            if value not in SERVER_LOGS:
                raise ConfigError(f"{where}.server_logs: must be one of {', '.join(SERVER_LOGS)}, got {value!r}")
        elif not isinstance(value, bool):
            raise ConfigError(f"{where}.{key}: must be a boolean, got {value!r}")


def from_table(table: Mapping[str, Any], legacy_mailbox: bool | None = None) -> Capabilities:
    """Build from a checked table; an older top-level `mailbox = true` still counts."""
    given = dict(table)
    if legacy_mailbox is not None:
        given.setdefault("mailbox", legacy_mailbox)
    known = {f.name for f in fields(Capabilities)}
    return Capabilities(**{k: v for k, v in given.items() if k in known})


def unknown_names(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in CAPABILITIES]


def reason(environment_name: str, name: str) -> str:
    """The one-line skip reason of a test needing capability `name` on an environment without it."""
    return f"not verified on {environment_name}: needs {name} ({CAPABILITIES[name]})"


def missing_reason(environment_name: str, capabilities: Capabilities, needed: Iterable[str]) -> str | None:
    """The skip reason for the first needed capability that is missing, or None."""
    for name in needed:
        if not capabilities.offers(name):
            return reason(environment_name, name)
    return None


def capability_of(skip_reason: str) -> str | None:
    """The capability a skip reason names (the gate groups "not verified" tests by it)."""
    match = _REASON.match(skip_reason.removeprefix("Skipped: "))
    return match.group("name") if match else None
