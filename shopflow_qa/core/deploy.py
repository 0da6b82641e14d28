"""Is the build live? `/health` probing and the deploy wait the plugin and the gate run before any test.

docs/api.md, "Health": 200 `{"status": "ok", "version": …, "checks": {…}}`, 503 with
`"status": "fail"`; the local stack adds `"faults": [...]`. A version matches when it is
the full SHA or shares a prefix of at least 7 characters with it (short and long SHAs).
Anything else answering `/health` (an HTML page, a 404, another application's JSON) is
`foreign`: a wrong URL or a proxy's error page, a configuration error (exit 2) rather than a
build whose smoke tests go red.
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from shopflow_qa.core.environment import ConfigError

MIN_SHA_PREFIX = 7
MAX_SHA_LENGTH = 64  # SHA-256 object names; SHA-1 ones are 40
PROBE_TIMEOUT_S = 3.0
_SHA = re.compile(rf"^[0-9a-f]{{{MIN_SHA_PREFIX},{MAX_SHA_LENGTH}}}$")


def check_expected_version(text: str) -> str:
    """The `--expect-version` value, normalised; ConfigError (a usage error) unless it is a
    hex SHA or a prefix of at least 7 characters. Checked before any request: a typo would
    otherwise wait out the deploy and read as "deploy not live"."""
    value = text.strip().lower()
    if not _SHA.match(value):
        raise ConfigError(
            f"--expect-version needs at least {MIN_SHA_PREFIX} characters of a hex SHA "
            f"(0-9, a-f; at most {MAX_SHA_LENGTH}), got {text!r}"
        )
    return value


class DeployNotLive(ConfigError):
    """The environment never became healthy with the expected version in time (exit 2)."""


@dataclass(frozen=True)
class Health:
    """One look at `/health`: what answered, or why nothing did."""

    url: str
    reachable: bool
    status_code: int | None = None
    status: str = ""
    version: str = ""
    faults: list[str] = field(default_factory=list)
    failing_checks: dict[str, str] = field(default_factory=dict)
    error: str = ""
    shopflow: bool = True  # the answer has the shape of docs/api.md's health body
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and self.shopflow and self.status_code == 200 and self.status == "ok" and not self.failing_checks

    @property
    def foreign(self) -> bool:
        """Something answered, but not ShopFlow: a wrong URL, a proxy's error page, another app."""
        return self.reachable and not self.shopflow

    def describe(self) -> str:
        if not self.reachable:
            return f"{self.url} unreachable ({self.error})"
        if not self.shopflow:
            return (
                f"{self.url} answered HTTP {self.status_code} ({self.content_type or 'no content type'}): "
                "not a ShopFlow health answer"
            )
        problems = ", ".join(f"{k}={v}" for k, v in self.failing_checks.items())
        return f"{self.url} answered {self.status_code} status={self.status or '?'} version={self.version or '?'}" + (
            f" failing: {problems}" if problems else ""
        )


def version_matches(expected: str, deployed: str) -> bool:
    """Full SHA, or a shared prefix of at least 7 characters (either may be the short one)."""
    expected, deployed = expected.strip().lower(), deployed.strip().lower()
    if not expected or not deployed:
        return False
    if expected == deployed:
        return True
    shorter = min(len(expected), len(deployed))
    return shorter >= MIN_SHA_PREFIX and expected[:shorter] == deployed[:shorter]


def _verify(api_url: str) -> ssl.SSLContext | bool:
    """httpx's `verify` for probing `api_url`: the CA bundle for https; for http, which never
    negotiates TLS (redirects are not followed), a verifying context that trusts nothing, because
    loading the bundle costs ~35 ms of CPU at every `shopflow-qa` start."""
    return True if api_url.lower().startswith("https:") else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def probe(api_url: str, timeout: float = PROBE_TIMEOUT_S, client: httpx.Client | None = None) -> Health:
    """GET `<api>/health` once; never raises for network trouble."""
    url = f"{api_url.rstrip('/')}/health"
    try:
        if client is None:
            with httpx.Client(timeout=timeout, verify=_verify(api_url)) as own:
                response = own.get(url)
        else:
            response = client.get(url, timeout=timeout)
    except httpx.HTTPError as error:
        return Health(url, reachable=False, error=type(error).__name__ + (f": {error}" if str(error) else ""))
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("status"), str) or response.status_code not in (200, 503):
        return Health(url, reachable=True, status_code=response.status_code, shopflow=False, content_type=content_type)
    checks = body.get("checks")
    checks = checks if isinstance(checks, dict) else {}
    failing = {k: str(v) for k, v in checks.items() if str(v) not in ("ok", "disabled")}
    faults = body.get("faults")
    faults = faults if isinstance(faults, list) else []
    return Health(
        url,
        reachable=True,
        status_code=response.status_code,
        status=str(body.get("status", "")),
        version=str(body.get("version", "")),
        faults=[str(f) for f in faults],
        failing_checks=failing,
    )


def wait_for_deploy(
    api_url: str,
    expect_version: str | None,
    timeout_s: float,
    interval_s: float = 2.0,
    on_poll: Callable[[Health], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Health:
    """Poll `/health` until it is ok (and reports `expect_version`), or raise DeployNotLive.

    `timeout_s` 0 means one look: with `--expect-version` alone the gate checks once and
    stops at once on a stale build rather than testing the wrong one.
    """
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=PROBE_TIMEOUT_S, verify=_verify(api_url)) as client:
        while True:
            health = probe(api_url, client=client)
            if on_poll:
                on_poll(health)
            live = health.ok and (not expect_version or version_matches(expect_version, health.version))
            if live:
                return health
            if time.monotonic() + interval_s > deadline:
                break
            sleep(interval_s)
    waited = f" after {timeout_s:.0f} s" if timeout_s else ""
    if expect_version and health.ok:
        raise DeployNotLive(
            f"deploy not live{waited}: expected version {expect_version}, {health.url} reports {health.version or 'no version'}"
        )
    raise DeployNotLive(f"deploy not live{waited}: {health.describe()}")
