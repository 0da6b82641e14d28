"""Does every service answer `GET /health` (docs/api.md, "Health"), and with which version?"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext


def _summary(body: dict) -> str:
    checks = body.get("checks") or {}
    parts = [f"version {body.get('version', '?')}"]
    if checks:
        parts.append(", ".join(f"{name} {value}" for name, value in sorted(checks.items())))
    if body.get("faults"):
        parts.append(f"faults: {', '.join(body['faults'])}")
    return "; ".join(parts)


def check(ctx: DoctorContext) -> list[CheckResult]:
    results = []
    with httpx.Client(timeout=ctx.timeout, follow_redirects=False) as client:
        seen: set[str] = set()
        urls = ctx.environment.urls
        for role in sorted(urls, key=lambda r: r != "api"):  # the API first: it reports the checks
            url = urls[role]
            if url in seen:  # one probe per service, however many roles share its URL
                continue
            seen.add(url)
            name = f"health {role}"
            if urlsplit(url).hostname in ctx.unresolved_hosts:
                results.append(ctx.skip(name, f"{url} not probed (its host does not resolve)"))
                continue
            try:
                response = client.get(f"{url}/health")
            except httpx.HTTPError as error:
                ctx.unreachable_urls.add(url)
                results.append(ctx.fail(name, f"{url} unreachable ({type(error).__name__})", _unreachable_fix(ctx)))
                continue
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code == 200 and body.get("status") == "ok":
                results.append(ctx.ok(name, f"{url} ok, {_summary(body)}"))
            else:
                failing = [f"{k}={v}" for k, v in (body.get("checks") or {}).items() if v not in ("ok", "disabled")]
                results.append(
                    ctx.fail(
                        name,
                        f"{url} answered {response.status_code}{' (' + ', '.join(failing) + ')' if failing else ''}",
                        "read the service's logs (`shopflow-qa stack logs` locally, CloudWatch on staging)",
                    )
                )
    return results


def _unreachable_fix(ctx: DoctorContext) -> str:
    env = ctx.environment
    if env.managed_stack:
        return f"`shopflow-qa stack up --name {env.stack_name}` (pytest, gate, seed and purge also start it on demand)"
    if env.stack_name:
        return f"`shopflow-qa stack up --name {env.stack_name}`, or check the URL"
    return "check the URL, the VPN and the security groups; is the service deployed?"
