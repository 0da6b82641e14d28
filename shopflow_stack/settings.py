"""Settings of the ShopFlow local stack, read once from the process environment.

The runner (runner.py) sets these variables for every service it starts; the secrets
default to the documented local values of defaults.py (the harness's `local` environment
names the same ones), so nothing needs to be exported.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from shopflow_stack.defaults import DEFAULT_SECRETS, LOCAL_PORT_BASE
from shopflow_stack.faults import Faults, parse_faults
from shopflow_stack.paths import PROJECT_ROOT, stacks_dir
from shopflow_stack.security.origins import origin_of
from shopflow_stack.services import service_urls

DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # every form and JSON body of the shop is a few KB
MAX_SERVICE_MS = 10_000  # per-request work a real shop's API does; anything longer is a typo


class SettingsError(ValueError):
    """A stack setting that cannot be used; the service refuses to start, naming the variable."""


def _positive_int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a positive whole number of bytes, got {raw!r}")
    return int(raw)


def parse_service_ms(raw: str) -> int:
    """SHOPFLOW_API_SERVICE_MS: a whole number of milliseconds, 0 (the default, also when empty) to MAX_SERVICE_MS."""
    raw = raw.strip()
    if not raw:
        return 0
    if not raw.isdigit() or int(raw) > MAX_SERVICE_MS:
        raise SettingsError(
            f"SHOPFLOW_API_SERVICE_MS must be a whole number of milliseconds from 0 to {MAX_SERVICE_MS}, got {raw!r}"
        )
    return int(raw)


def _shop_origins(web_url: str, extra: str) -> tuple[str, ...]:
    """The storefront's own origins: its URL, the same port as `localhost` (what people type on
    a laptop), and any listed in SHOPFLOW_SHOP_ORIGINS (e.g. a TLS proxy in front of it)."""
    port = web_url.rsplit(":", 1)[1]
    found = [web_url, f"http://localhost:{port}"]
    for item in (part.strip() for part in extra.split(",")):
        if not item:
            continue
        normalised = origin_of(item)
        if normalised is None or normalised != item.rstrip("/").lower():
            raise SettingsError(f"SHOPFLOW_SHOP_ORIGINS: {item!r} is not an origin like https://shop.example:8443")
        found.append(normalised)
    return tuple(dict.fromkeys(found))


def _public_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if value and (origin_of(value) is None or origin_of(value) != value.lower()):
        raise SettingsError(f"SHOPFLOW_PAYMENTS_PUBLIC_URL: {raw!r} is not an origin like https://pay.example:8443")
    return value


@lru_cache(maxsize=1)
def code_version() -> str:
    """The build id when SHOPFLOW_VERSION is unset: the git SHA of the checkout, else 'dev'."""
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return result.stdout.strip() or "dev"
    except (OSError, subprocess.SubprocessError):
        return "dev"


@dataclass(frozen=True)
class Settings:
    """Everything a stack service needs to know about itself and its neighbours."""

    stack_name: str
    stack_dir: Path
    database_url: str
    redis_url: str | None
    version: str
    faults: Faults
    web_url: str
    admin_url: str
    api_url: str
    payments_url: str
    service_token: str
    admin_token: str
    admin_user: str
    admin_password: str
    webhook_secret: str
    payments_key: str
    # The hardening of shopflow_stack/security/ (stack/README.md, "Protections"):
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    shop_origins: tuple[str, ...] = ()  # where return_url may point and who may frame the sandbox's pages
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-Proto/For uvicorn believes
    # Where browsers reach the payments host when a proxy fronts the stack (redirects, card
    # fields, the storefront's frame-src); the shop's own calls keep using payments_url.
    payments_public_url: str = ""
    # The time a production API spends on each request (queries over real data volumes, calls to
    # other services): added to every /api request, as part of the service, not a fault.
    api_service_ms: int = 0
    stack_instance: str = ""  # the runner's token for this start (SHOPFLOW_STACK_INSTANCE; services.STACK_HEADER)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        defaults = DEFAULT_SECRETS
        stack_dir = Path(env.get("SHOPFLOW_STACK_DIR", stacks_dir() / "local"))
        stack_dir.mkdir(parents=True, exist_ok=True)
        port_base = int(env.get("SHOPFLOW_PORT_BASE", str(LOCAL_PORT_BASE)))
        urls = service_urls(port_base)
        web_url = urls["web"]
        return cls(
            stack_name=env.get("SHOPFLOW_STACK_NAME", "local"),
            stack_dir=stack_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{stack_dir / 'shopflow.db'}",
            redis_url=env.get("REDIS_URL") or None,
            version=env.get("SHOPFLOW_VERSION") or code_version(),
            faults=parse_faults(env.get("SHOPFLOW_FAULTS", "")),
            web_url=web_url,
            admin_url=urls["admin"],
            api_url=urls["api"],
            payments_url=urls["payments"],
            service_token=env.get("SHOPFLOW_LOCAL_TOKEN") or defaults["token"],
            admin_token=env.get("SHOPFLOW_LOCAL_ADMIN_TOKEN") or defaults["admin_token"],
            admin_user=env.get("SHOPFLOW_LOCAL_ADMIN_USER") or defaults["admin_user"],
            admin_password=env.get("SHOPFLOW_LOCAL_ADMIN_PASSWORD") or defaults["admin_password"],
            webhook_secret=env.get("SHOPFLOW_LOCAL_WEBHOOK_SECRET") or defaults["webhook_secret"],
            payments_key=env.get("SHOPFLOW_LOCAL_PAYMENTS_KEY") or defaults["payments_key"],
            max_body_bytes=_positive_int(env, "SHOPFLOW_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            shop_origins=_shop_origins(web_url, env.get("SHOPFLOW_SHOP_ORIGINS", "")),
            trusted_proxies=tuple(p.strip() for p in env.get("SHOPFLOW_TRUSTED_PROXIES", "").split(",") if p.strip()),
            payments_public_url=_public_url(env.get("SHOPFLOW_PAYMENTS_PUBLIC_URL", "")),
            api_service_ms=parse_service_ms(env.get("SHOPFLOW_API_SERVICE_MS", "")),
            stack_instance=env.get("SHOPFLOW_STACK_INSTANCE", ""),
        )

    @property
    def browser_payments_url(self) -> str:
        """The payments host as a shopper's browser reaches it."""
        return self.payments_public_url or self.payments_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (services read them once at start)."""
    return Settings.from_environ()
