"""DNS for every host the environment names, and for https hosts the TLS certificate's expiry.

Verification uses the default trust store (which honours $SSL_CERT_FILE), exactly as the
harness's HTTP clients do, so a certificate doctor accepts is one the tests accept.
"""

from __future__ import annotations

import concurrent.futures
import socket
import ssl
import time
from urllib.parse import urlsplit

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext

# Fewer days than this before expiry is reported as a failure: renew before the gate breaks.
MIN_DAYS_LEFT = 7


def resolve(host: str, timeout: float) -> list[str]:
    """The host's addresses; getaddrinfo has no timeout of its own, so bound it with a thread."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        future = pool.submit(socket.getaddrinfo, host, None, 0, socket.SOCK_STREAM)
        infos = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise socket.gaierror(f"no answer within {timeout:.0f} s") from None
    finally:
        pool.shutdown(wait=False)
    return sorted({str(info[4][0]) for info in infos})


def certificate_days_left(host: str, port: int, timeout: float) -> float:
    """Days until the verified certificate of host:port expires."""
    context = ssl.create_default_context()
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            certificate = tls.getpeercert()
    not_after = ssl.cert_time_to_seconds(str((certificate or {})["notAfter"]))
    return (not_after - time.time()) / 86400


def _hosts(ctx: DoctorContext) -> dict[str, tuple[str, int]]:
    hosts: dict[str, tuple[str, int]] = {}
    for url in ctx.environment.urls.values():
        parts = urlsplit(url)
        if parts.hostname and parts.hostname not in hosts:
            default_port = 443 if parts.scheme == "https" else 80
            hosts[parts.hostname] = (parts.scheme, parts.port or default_port)
    return hosts


def check(ctx: DoctorContext) -> list[CheckResult]:
    results = []
    for host, (scheme, port) in _hosts(ctx).items():
        name = f"dns+tls {host}"
        try:
            addresses = resolve(host, ctx.timeout)
        except (socket.gaierror, OSError) as error:
            ctx.unresolved_hosts.add(host)
            results.append(
                ctx.fail(name, f"does not resolve ({error})", "check the host name in the environment file, your DNS, or the VPN")
            )
            continue
        shown = ", ".join(addresses[:2])
        if scheme != "https":
            results.append(ctx.ok(name, f"{shown} (– TLS skipped: http URL)"))
            continue
        try:
            days = certificate_days_left(host, port, ctx.timeout)
        except ssl.SSLCertVerificationError as error:
            results.append(
                ctx.fail(
                    name,
                    f"certificate not trusted ({error.verify_message})",
                    "renew the certificate or install the issuing CA ($SSL_CERT_FILE)",
                )
            )
            continue
        except (OSError, ssl.SSLError) as error:
            ctx.unreachable_urls.add(f"https://{host}:{port}")
            results.append(
                ctx.fail(
                    name,
                    f"TLS handshake on port {port} failed ({error})",
                    "check that the host serves HTTPS there and that no proxy/firewall blocks it",
                )
            )
            continue
        if days < MIN_DAYS_LEFT:
            results.append(
                ctx.fail(
                    name,
                    f"certificate expires in {days:.0f} days",
                    "renew the certificate (ACM/load balancer) before it breaks the gate",
                )
            )
        else:
            results.append(ctx.ok(name, f"{shown}, certificate valid for {days:.0f} more days"))
    return results
