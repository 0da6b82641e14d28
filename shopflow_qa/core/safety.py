"""The safety policy's decisions (docs/architecture.md, "Safety policy"), in plain Python.

Production is sensitive by default, as in pytest-selenium's `safety.py`: on a read-only
environment (or one with any URL that reaches production, shopflow_qa/core/production.py) a test runs only when marked
`nondestructive`; everything else is skipped with a reason naming the marker that makes it
unsafe. The plugin applies these decisions; the CLI and the gate can ask the same questions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shopflow_qa.core.environment import Environment

# The marker vocabulary, in one place (the plugin registers these with pytest).
MARKERS: dict[str, str] = {
    "smoke": "every deploy, fast, read-only checks (also mark nondestructive to run on production)",
    "api": "HTTP API behaviour through the API clients",
    "contract": "the API against its OpenAPI contract (data/contracts/)",
    "checkout": "cart, order and checkout journeys (writes orders: never on production)",
    "payments": "payment outcomes through the payment provider (never on production)",
    "admin": "admin API or admin site (needs the environment's admin secrets)",
    "destructive": "changes data; refused on read-only environments (the default for unmarked tests there)",
    "load": "load or stress traffic (never on production)",
    "nondestructive": "safe on production: reads only; the only tests a read-only environment runs",
}

# Unsafe whatever else a test is marked with: a `nondestructive` label cannot make them safe.
ALWAYS_UNSAFE = ("checkout", "payments", "load", "destructive")
# Which marker a refusal names, most telling first; an unmarked test is plain `destructive`.
REFUSAL_ORDER = ("checkout", "payments", "admin", "load", "destructive")
ADMIN_ROLES = ("admin_token", "admin_user", "admin_password")
REFUSAL_PREFIX = "refused on production: "


def refusal(environment: Environment, markers: Iterable[str]) -> str | None:
    """The skip reason for a test with these markers on `environment`, or None if it may run."""
    if not environment.read_only:
        return None
    names = set(markers)
    unsafe = [m for m in REFUSAL_ORDER if m in names and m in ALWAYS_UNSAFE]
    if not unsafe and "nondestructive" in names:
        return None
    named = unsafe or [m for m in REFUSAL_ORDER if m in names] or ["destructive"]
    return REFUSAL_PREFIX + named[0]


def why_read_only(environment: Environment) -> str:
    """One phrase saying why the guard is on (policy, or a URL that reaches production)."""
    if environment.policy == "read-only":
        return f"environment '{environment.name}' is read-only"
    matches = "; ".join(match.describe() for match in environment.production_matches)
    return f"environment '{environment.name}' points at production ({matches})"


def selection_refusal(environment: Environment, refusals: Mapping[str, int]) -> str:
    """The one line for a selection the policy empties entirely: an error, never a green run.
    `refusals` counts the tests per skip reason (`refused on production: payments` → 3)."""
    return (
        f"{why_read_only(environment)}: every selected test is refused ({count_refusals(refusals)}); "
        "only tests marked nondestructive run there"
    )


def count_refusals(refusals: Mapping[str, int]) -> str:
    """`{"refused on production: payments": 15, …}` → "2 admin, 15 payments"."""
    return ", ".join(f"{count} {reason.removeprefix(REFUSAL_PREFIX)}" for reason, count in sorted(refusals.items()))


class WriteRefused(Exception):
    """A client of a read-only environment was asked to send a write (the last line of the
    guard: a test marked nondestructive that writes fails here, before anything is sent)."""


def write_refusal(environment: Environment, action: str) -> str | None:
    """The one-line refusal of a write (`seed`, `purge`, `load` …) on a read-only environment,
    or None where writes are allowed. Asked before any connection is made."""
    if not environment.read_only:
        return None
    return f"refused on {environment.name}: {action} writes data and {why_read_only(environment)}"


def required_secret_roles(environment: Environment, admin: bool) -> list[str]:
    """The secrets a run needs: the service token always, admin secrets only for admin tests."""
    roles = ["token"]
    if admin:
        roles += [r for r in ADMIN_ROLES if r in environment.secret_variables or r in environment.default_secrets]
    return roles


def missing_secrets(environment: Environment, roles: Iterable[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Names of the variables to set (never values); a role without a variable is named by role."""
    missing = []
    for role in roles:
        if not environment.has_secret(role, environ):
            variable = environment.secret_variables.get(role)
            missing.append(f"${variable}" if variable else f"a variable for the {role} secret (secrets.{role})")
    return missing
