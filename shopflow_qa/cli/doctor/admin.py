"""Is the admin API reachable with the admin token (seed, purge and refunds need it)?"""

from __future__ import annotations

import httpx

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext
from shopflow_qa.core.environment import MissingSecret

NAME = "admin api"
PROBE_PATH = "/api/admin/orders?per_page=1"


def check(ctx: DoctorContext) -> list[CheckResult]:
    env = ctx.environment
    if "admin_token" not in env.secret_variables and "admin_token" not in env.default_secrets:
        return [ctx.skip(NAME, f"'{env.name}' has no admin token (policy {env.policy})")]
    if env.read_only:  # the admin token never goes to production, nor to a host reaching it
        return [ctx.skip(NAME, "not probed: the environment is read-only (seed, purge and refunds are refused there)")]
    if env.url("api") in ctx.unreachable_urls:
        return [ctx.skip(NAME, "not probed (the API host is unreachable)")]
    try:
        token = env.secret("admin_token", ctx.environ)
    except MissingSecret:
        return [ctx.skip(NAME, "not probed (admin token not set; see secrets)")]
    url = f"{env.url('api')}{PROBE_PATH}"
    try:
        with httpx.Client(timeout=ctx.timeout) as client:
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as error:
        return [ctx.fail(NAME, f"{url} unreachable ({type(error).__name__})", "check the API URL and network path")]
    if response.status_code == 200:
        return [ctx.ok(NAME, f"{env.url('api')}/api/admin/* answers with the admin token")]
    if response.status_code in (401, 403):
        variable = env.secret_variables.get("admin_token", "the admin token variable")
        return [ctx.fail(NAME, f"admin token refused ({response.status_code})", f"set ${variable} to a current admin token")]
    return [ctx.fail(NAME, f"{url} answered {response.status_code}", "read the API service's logs")]
