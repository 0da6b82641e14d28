"""The one Environment model and its loader.

Plain Python (no pytest, no locust): the pytest plugin, the load profiles and the CLI all
resolve their target through `resolve_environment`, so `--env staging` means the same
thing everywhere. docs/architecture.md, "Data flow of one gate run", states the precedence rules implemented here.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shopflow_qa.core.paths import data_dir
from shopflow_qa.core.production import ProductionMatch, ProductionTargets

DATA_DIR = data_dir()
DEFAULT_ENV_FILE = DATA_DIR / "environments.toml"
DEFAULT_ENV_NAME = "local"

POLICIES = ("read-write", "read-only")
URL_ROLES = ("web", "admin", "api", "payments")
SECRET_ROLES = ("token", "admin_token", "admin_user", "admin_password", "webhook_secret", "payments_key")

# Variables that override one URL, most specific first. `NAME__ENV` (e.g. BASE_URL__STAGING)
# beats the plain name, as mozilla/fxa reads `KEY__STAGE` before `KEY`.
URL_VARIABLES: dict[str, tuple[str, ...]] = {
    "web": ("E2E_BASE_URL", "PYTEST_BASE_URL"),
    "api": ("BASE_URL",),
    "admin": ("ADMIN_BASE_URL",),
    "payments": ("PAYMENTS_BASE_URL",),
}

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
    "mailbox": bool,
    "internal_host": str,
    "secrets": dict,
    "default_secrets": dict,
    "capacity": dict,
    "aws": dict,
}
_REQUIRED_KEYS = ("web_url", "api_url")
_CAPACITY_SERVICES = ("web", "api", "worker")
_AWS_KEYS: dict[str, type | tuple[type, ...]] = {"region": str, "ecs_cluster": str, "ecs_services": dict, "log_groups": dict}
_AWS_SERVICES = ("web", "admin", "api", "payments", "worker")
_AWS_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The production guard's lists (shopflow_qa/core/production.py). `production_hosts` is the older name
# of `production_domains` (same meaning: the host and every subdomain of it).
SAFETY_KEYS = ("production_domains", "production_hosts", "not_production_hosts", "production_networks")


class ConfigError(Exception):
    """A problem with configuration or input, reported as one line (exit code 2)."""


class MissingSecret(ConfigError):
    """An environment needs a secret whose variable is not set."""


@dataclass(frozen=True)
class Capacity:
    """Task counts per service, used to size load profiles."""

    web: int = 1
    api: int = 1
    worker: int = 1


@dataclass(frozen=True)
class AwsResources:
    """Where the environment's services run and log, for diagnostics and doctor."""

    region: str = ""
    ecs_cluster: str = ""
    ecs_services: Mapping[str, str] = field(default_factory=dict)
    log_groups: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Environment:
    """A named target: its URLs, where its secrets come from, its capacity and policy."""

    name: str
    web_url: str
    api_url: str
    admin_url: str = ""
    payments_url: str = ""
    description: str = ""
    policy: str = "read-write"
    managed_stack: bool = False
    stack_name: str = ""
    allow_default_secrets: bool = False
    mailbox: bool = False
    internal_host: str = ""
    secret_variables: Mapping[str, str] = field(default_factory=dict)
    default_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    capacity: Capacity = field(default_factory=Capacity)
    aws: AwsResources | None = None
    production: ProductionTargets = field(default_factory=ProductionTargets, repr=False)
    sources: tuple[str, ...] = ()
    urls_overridden: bool = False

    def url(self, role: str) -> str:
        """The base URL for `role` (web, admin, api, payments), without a trailing slash."""
        return getattr(self, f"{role}_url").rstrip("/")

    @property
    def urls(self) -> dict[str, str]:
        return {role: self.url(role) for role in URL_ROLES if getattr(self, f"{role}_url")}

    @cached_property
    def production_matches(self) -> tuple[ProductionMatch, ...]:
        """Every URL (and the internal host) that reaches production, read as the clients
        will read it (shopflow_qa/core/production.py): the production guard's one question."""
        targets = {**self.urls, **({"internal": f"http://{self.internal_host}"} if self.internal_host else {})}
        found = ((role, url, self.production.match(url)) for role, url in targets.items())
        return tuple(ProductionMatch(role, url, why) for role, url, why in found if why)

    @property
    def read_only(self) -> bool:
        """True on a read-only policy or when any URL reaches production."""
        return self.policy == "read-only" or bool(self.production_matches)

    @property
    def auto_start(self) -> bool:
        """Whether the plugin and CLI may start this environment's local stack."""
        return self.managed_stack and not self.urls_overridden

    def has_secret(self, role: str, environ: Mapping[str, str] | None = None) -> bool:
        try:
            self.secret(role, environ)
        except MissingSecret:
            return False
        return True

    def secret(self, role: str, environ: Mapping[str, str] | None = None) -> str:
        """The secret for `role`, from its variable; documented default only where allowed."""
        environ = os.environ if environ is None else environ
        variable = self.secret_variables.get(role)
        if variable and environ.get(variable):
            return environ[variable]
        if self.allow_default_secrets and role in self.default_secrets:
            return self.default_secrets[role]
        if not variable:
            raise MissingSecret(f"environment '{self.name}' names no variable for the {role} secret")
        raise MissingSecret(f"environment '{self.name}' needs the {role} secret: set ${variable}")

    def secret_values(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """Every secret value this environment can resolve (for redaction)."""
        values = []
        for role in set(self.secret_variables) | set(self.default_secrets):
            try:
                values.append(self.secret(role, environ))
            except MissingSecret:
                continue
        return values


@dataclass(frozen=True)
class UrlOverrides:
    """URLs given on the command line; each beats the environment variables and files."""

    web: str | None = None
    api: str | None = None
    admin: str | None = None
    payments: str | None = None


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme
    except ValueError:  # e.g. an unclosed "[" of an IPv6 host
        return ""


def _read_toml(path: Path) -> dict[str, Any]:
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


def _check_table(path: Path, name: str, table: Any) -> None:
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


def _check_aws(where: str, table: Mapping[str, Any]) -> None:
    _check_keys(where, table, _AWS_KEYS)
    region = table.get("region")
    if region is not None and not _AWS_REGION.match(region):
        raise ConfigError(f"{where}.region: must be an AWS region such as us-east-1, got {region!r}")
    for key in ("ecs_services", "log_groups"):
        _check_keys(f"{where}.{key}", table.get(key, {}), {service: str for service in _AWS_SERVICES})


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_environments(env_files: Sequence[str | Path] = ()) -> dict[str, Environment]:
    """Read data/environments.toml, then $SHOPFLOW_ENV_FILE, then each --env-file, table by table."""
    tables: dict[str, dict[str, Any]] = {}
    sources: dict[str, list[str]] = {}
    production = ProductionTargets()
    for path, document in _documents(env_files):
        production = production.merged(_production_targets(path, document))
        environments = document.get("environments", {})
        if not isinstance(environments, dict):
            raise ConfigError(f"{path}: environments: must be a table of tables")
        for name, table in environments.items():
            _check_table(path, name, table)
            tables[name] = _merge(tables.get(name, {}), table)
            sources.setdefault(name, []).append(str(path))
    return {name: _build(name, table, tuple(sources[name]), production) for name, table in tables.items()}


def load_production_targets(env_files: Sequence[str | Path] = ()) -> ProductionTargets:
    """Only the `[safety]` lists (data file, $SHOPFLOW_ENV_FILE, env files): for checks of URLs
    that belong to no environment (a plain `locust -H`, a local stack's DATABASE_URL)."""
    production = ProductionTargets()
    for path, document in _documents(env_files):
        production = production.merged(_production_targets(path, document))
    return production


def _documents(env_files: Sequence[str | Path]) -> list[tuple[Path, dict[str, Any]]]:
    """data/environments.toml, then $SHOPFLOW_ENV_FILE, then each --env-file: read and checked."""
    from_variable = filter(None, os.environ.get("SHOPFLOW_ENV_FILE", "").split(os.pathsep))
    documents = []
    for path in dict.fromkeys([DEFAULT_ENV_FILE, *map(Path, from_variable), *map(Path, env_files)]):
        document = _read_toml(path)
        unknown = set(document) - {"safety", "environments"}
        if unknown:
            raise ConfigError(f"{path}: {sorted(unknown)[0]}: unknown top-level table (known: environments, safety)")
        documents.append((path, document))
    return documents


def _production_targets(path: Path, document: Mapping[str, Any]) -> ProductionTargets:
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
    if lists["not_production_hosts"] and path.resolve() != DEFAULT_ENV_FILE.resolve():
        raise ConfigError(
            f"{path}: safety.not_production_hosts: only {DEFAULT_ENV_FILE.name} in the repository may "
            "exempt hosts from the production guard (an env file can add production hosts, never remove them)"
        )
    try:
        return ProductionTargets.from_config(
            lists["production_domains"] + lists["production_hosts"], lists["not_production_hosts"], lists["production_networks"]
        )
    except ValueError as error:
        raise ConfigError(f"{path}: safety: {error}") from None


def _build(name: str, table: dict[str, Any], sources: tuple[str, ...], production: ProductionTargets) -> Environment:
    for key in _REQUIRED_KEYS:
        if key not in table:
            raise ConfigError(f"{sources[-1]}: environments.{name}.{key}: required")
    aws = table.get("aws")
    return Environment(
        name=name,
        web_url=table["web_url"],
        api_url=table["api_url"],
        admin_url=table.get("admin_url", ""),
        payments_url=table.get("payments_url", ""),
        description=table.get("description", ""),
        policy=table.get("policy", "read-write"),
        managed_stack=table.get("managed_stack", False),
        stack_name=table.get("stack_name", name if table.get("managed_stack") else ""),
        allow_default_secrets=table.get("allow_default_secrets", False),
        mailbox=table.get("mailbox", False),
        internal_host=table.get("internal_host", ""),
        secret_variables=dict(table.get("secrets", {})),
        default_secrets=dict(table.get("default_secrets", {})),
        capacity=Capacity(**table.get("capacity", {})),
        aws=AwsResources(**aws) if aws else None,
        production=production,
        sources=sources,
    )


def _url_from_variables(role: str, env_name: str, environ: Mapping[str, str]) -> str | None:
    for variable in URL_VARIABLES[role]:
        for candidate in (f"{variable}__{env_name.upper().replace('-', '_')}", variable):
            if environ.get(candidate):
                return environ[candidate]
    return None


def resolve_environment(
    name: str | None = None,
    env_files: Sequence[str | Path] = (),
    overrides: UrlOverrides = UrlOverrides(),
    environ: Mapping[str, str] | None = None,
) -> Environment:
    """Choose the environment (--env, then $SHOPFLOW_ENV, then local) and apply URL overrides.

    URL precedence: command-line flag > environment variable > --env-file > data file.
    Any URL override turns auto-start of a managed stack off.
    """
    environ = os.environ if environ is None else environ
    chosen = name or environ.get("SHOPFLOW_ENV") or DEFAULT_ENV_NAME
    environments = load_environments(env_files)
    if chosen not in environments:
        raise ConfigError(f"unknown environment '{chosen}' (known: {', '.join(sorted(environments))})")
    environment = environments[chosen]
    changes: dict[str, Any] = {}
    for role in URL_ROLES:
        value = getattr(overrides, role) or _url_from_variables(role, chosen, environ)
        if value and value.rstrip("/") != environment.url(role):
            if _scheme(value) not in ("http", "https"):
                raise ConfigError(f"{role} URL override must be an http(s) URL, got {value!r}")
            changes[f"{role}_url"] = value.rstrip("/")
    if changes:
        environment = replace(environment, urls_overridden=True, **changes)
    return environment
