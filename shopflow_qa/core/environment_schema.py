"""The schema of environment files: which keys a table may hold, of which type, and the
one-line error naming the file, the table and the key when one is wrong."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shopflow_qa.core import capabilities as _capabilities
from shopflow_qa.core.errors import ConfigError
from shopflow_qa.core.production import ProductionTargets

POLICIES = ("read-write", "read-only")
URL_ROLES = ("web", "admin", "api", "payments")
SECRET_ROLES = ("token", "admin_token", "admin_user", "admin_password", "webhook_secret", "payments_key")
_ENV_KEYS: dict[str, type | tuple[type, ...]] = {
    "description": str,
    "web_url": str,
    "admin_url": str,
    "api_url": str,
    "payments_url": str,
    "policy": str,
    "managed_stack": bool,
    "stack_name": str,
    "allow_default_secrets": bool,
    "mailbox": bool,  # the older spelling of capabilities.mailbox
    "capabilities": dict,
    "internal_host": str,
    "currency": str,
    "secrets": dict,
    "default_secrets": dict,
    "capacity": dict,
    "aws": dict,
    "slos": (str, dict),
}
SLO_SECTIONS = ("contract", "load", "regression", "pages", "pages_mobile")
REQUIRED_KEYS = ("web_url", "api_url")
_CAPACITY_SERVICES = ("web", "api", "worker")
_AWS_KEYS: dict[str, type | tuple[type, ...]] = {
    "region": str,
    "ecs_cluster": str,
    "ecs_services": dict,
    "log_groups": dict,
    "reports_bucket": str,
    "endpoint_url": str,
}
_AWS_SERVICES = ("web", "admin", "api", "payments", "worker")
_AWS_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The production guard's lists (shopflow_qa/core/production.py). `production_hosts` is the older name
# of `production_domains` (same meaning: the host and every subdomain of it).
SAFETY_KEYS = ("production_domains", "production_hosts", "not_production_hosts", "production_networks")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as error:  # a folder, no permission: one line, like a missing file
        raise ConfigError(f"{path}: cannot read ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def _kind(expected: type | tuple[type, ...]) -> str:
    """ "a string", "an integer", "a table" …, for the error line."""
    names = {str: "a string", bool: "a boolean", int: "an integer", dict: "a table", list: "a list"}
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(t, f"a {t.__name__}") for t in types)


def _is(value: Any, expected: type | tuple[type, ...]) -> bool:
    """isinstance, except that TOML's `true` is not an integer here."""
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _check_keys(where: str, table: Mapping[str, Any], known: Mapping[str, type | tuple[type, ...]]) -> None:
    """Every key known, every value of its type; the error names the table and the key."""
    for key, value in table.items():
        expected = known.get(key)
        if expected is None:
            raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(sorted(known))})")
        if not _is(value, expected):
            raise ConfigError(f"{where}.{key}: must be {_kind(expected)}, got {value!r}")


def _check_url(where: str, value: str) -> None:
    """An http(s) URL with a host and a valid port, nothing that only fails at the first request."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range or not a number
    except ValueError:
        raise ConfigError(f"{where}: bad port in {value!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ConfigError(f"{where}: must be an http(s) URL, got {value!r}")


def check_table(path: Path, name: str, table: Any) -> None:
    """Validate one environment table and each of its sub-tables (secrets, capacity, aws, …)."""
    where = f"{path}: environments.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    _check_keys(where, table, _ENV_KEYS)
    for key, value in table.items():
        if key.endswith("_url"):
            _check_url(f"{where}.{key}", value)
        if key == "policy" and value not in POLICIES:
            raise ConfigError(f"{where}.policy: must be one of {', '.join(POLICIES)}, got {value!r}")
        if key == "currency" and not _CURRENCY.match(value):
            raise ConfigError(f"{where}.currency: must be an ISO 4217 code such as 'USD', got {value!r}")
        if key in ("secrets", "default_secrets"):
            for role, text in value.items():
                if role not in SECRET_ROLES:
                    raise ConfigError(f"{where}.{key}.{role}: unknown secret role (known: {', '.join(SECRET_ROLES)})")
                if not isinstance(text, str):
                    raise ConfigError(f"{where}.{key}.{role}: must be a string")
                if key == "secrets" and not _VARIABLE.match(text):
                    raise ConfigError(f"{where}.secrets.{role}: must name an environment variable, got {text!r}")
        if key == "capacity":
            _check_keys(f"{where}.capacity", value, {service: int for service in _CAPACITY_SERVICES})
            for service, count in value.items():
                if count < 1:
                    raise ConfigError(f"{where}.capacity.{service}: must be a positive integer, got {count!r}")
        if key == "aws":
            _check_aws(f"{where}.aws", value)
        if key == "capabilities":
            _capabilities.check(f"{where}.capabilities", value)
        if key == "slos" and isinstance(value, dict):
            for section, body in value.items():
                if section not in SLO_SECTIONS or not isinstance(body, dict):
                    raise ConfigError(
                        f"{where}.slos.{section}: must be one of the tables {', '.join(SLO_SECTIONS)} (data/slos.toml's schema)"
                    )


def _check_aws(where: str, table: Mapping[str, Any]) -> None:
    _check_keys(where, table, _AWS_KEYS)
    region = table.get("region")
    if region is not None and not _AWS_REGION.match(region):
        raise ConfigError(f"{where}.region: must be an AWS region such as us-east-1, got {region!r}")
    for key in ("ecs_services", "log_groups"):
        _check_keys(f"{where}.{key}", table.get(key, {}), {service: str for service in _AWS_SERVICES})


def production_targets(path: Path, document: Mapping[str, Any], data_file: Path) -> ProductionTargets:
    """One file's `[safety]` table. Any file may add production domains and networks; only the
    repository's data file may name hosts that are not production, so an env file can tighten
    the guard but never loosen it."""
    safety = document.get("safety", {})
    if not isinstance(safety, dict):
        raise ConfigError(f"{path}: safety: must be a table")
    unknown = set(safety) - set(SAFETY_KEYS)
    if unknown:
        raise ConfigError(f"{path}: safety.{sorted(unknown)[0]}: unknown key (known: {', '.join(SAFETY_KEYS)})")
    lists: dict[str, list[str]] = {}
    for key in SAFETY_KEYS:
        value = safety.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: safety.{key}: must be a list of strings, got {value!r}")
        lists[key] = value
    if lists["not_production_hosts"] and path.resolve() != data_file.resolve():
        raise ConfigError(
            f"{path}: safety.not_production_hosts: only {data_file.name} in the repository may "
            "exempt hosts from the production guard (an env file can add production hosts, never remove them)"
        )
    try:
        return ProductionTargets.from_config(
            lists["production_domains"] + lists["production_hosts"], lists["not_production_hosts"], lists["production_networks"]
        )
    except ValueError as error:
        raise ConfigError(f"{path}: safety: {error}") from None
