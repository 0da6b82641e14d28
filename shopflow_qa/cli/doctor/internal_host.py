"""Does the VPN-only internal host resolve? On staging it only does inside the VPN."""

from __future__ import annotations

import socket

from shopflow_qa.cli.doctor.dns_tls import resolve
from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext

NAME = "vpn"


def check(ctx: DoctorContext) -> list[CheckResult]:
    host = ctx.environment.internal_host
    if not host:
        return [ctx.skip(NAME, f"'{ctx.environment.name}' has no VPN-only internal host")]
    try:
        addresses = resolve(host, ctx.timeout)
    except (socket.gaierror, OSError):
        return [
            ctx.fail(
                NAME, f"internal host {host} does not resolve", "connect to the VPN (the internal host resolves only inside it)"
            )
        ]
    return [ctx.ok(NAME, f"internal host {host} resolves ({addresses[0]})")]
