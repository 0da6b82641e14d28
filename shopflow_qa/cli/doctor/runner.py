"""Run every doctor check in order and print one line each."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from shopflow_qa.cli.doctor import admin, aws_identity, aws_resources, browser, dns_tls, health, internal_host, secrets, tools
from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext, Status
from shopflow_qa.core.environment import ConfigError

Check = Callable[[DoctorContext], list[CheckResult]]

# Order matters: DNS before health (unresolved hosts are not probed), health before admin,
# AWS identity before AWS resources. Keys are what `doctor --check NAME` selects.
CHECKS: dict[str, tuple[Check, ...]] = {
    "secrets": (secrets.check,),
    "dns": (dns_tls.check,),
    "health": (health.check,),
    "admin": (admin.check,),
    "vpn": (internal_host.check,),
    "aws": (aws_identity.check, aws_resources.check),
    "browser": (browser.check,),
    "tools": (tools.check,),
}


def select(names: Iterable[str] = ()) -> list[Check]:
    """The checks named (all when none), in the fixed order; unknown names are a usage error."""
    wanted = set(names)
    unknown = wanted - set(CHECKS)
    if unknown:
        raise ConfigError(f"unknown check '{sorted(unknown)[0]}' (known: {', '.join(CHECKS)})")
    return [check for name, checks in CHECKS.items() if not wanted or name in wanted for check in checks]


def run_checks(
    ctx: DoctorContext,
    checks: Iterable[Check] | None = None,
    echo: Callable[[str], None] = print,
    collect: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run the checks, echo each result as it comes (a slow check shows progress), return all."""
    results: list[CheckResult] = []
    for check in select() if checks is None else checks:
        for result in check(ctx):
            echo(result.line())
            results.append(result)
            if collect:
                collect(result)
    return results


def passed(results: Iterable[CheckResult]) -> bool:
    return all(r.status is not Status.FAIL for r in results)
