"""Are the variables that hold this environment's secrets set? Names only, never values."""

from __future__ import annotations

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext


def check(ctx: DoctorContext) -> list[CheckResult]:
    env = ctx.environment
    missing, defaulted = [], []
    for role, variable in sorted(env.secret_variables.items()):
        if ctx.environ.get(variable):
            continue
        if env.allow_default_secrets and role in env.default_secrets:
            defaulted.append(variable)
        else:
            missing.append(variable)
    if not env.secret_variables:
        return [ctx.skip("secrets", "this environment names no secret variables")]
    if missing:
        names = ", ".join(f"${v}" for v in missing)
        return [
            ctx.fail("secrets", f"{names} not set", f"export {' '.join(f'{v}=…' for v in missing)} (CI: from GitHub secrets)")
        ]
    note = f" ({len(defaulted)} use the documented local defaults)" if defaulted else ""
    return [ctx.ok("secrets", f"{len(env.secret_variables)} variables available{note}")]
