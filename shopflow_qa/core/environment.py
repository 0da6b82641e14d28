"""The one Environment model and its loader.

Plain Python (no pytest, no locust): the pytest plugin, the load profiles and the CLI all
resolve their target through `resolve_environment`, so `--env staging` means the same
thing everywhere. docs/architecture.md, "Data flow of one gate run", states the precedence rules implemented here.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shopflow_qa.core.capabilities import Capabilities
from shopflow_qa.core.capabilities import from_table as capabilities_from_table
from shopflow_qa.core.environment_schema import REQUIRED_KEYS, URL_ROLES, check_table, production_targets, read_toml
from shopflow_qa.core.errors import ConfigError as ConfigError
from shopflow_qa.core.errors import MissingSecret as MissingSecret
from shopflow_qa.core.paths import data_dir
from shopflow_qa.core.production import ProductionMatch, ProductionTargets

DATA_DIR = data_dir()
DEFAULT_ENV_FILE = DATA_DIR / "environments.toml"
DEFAULT_ENV_NAME = "local"


# Variables that override one URL, most specific first. `NAME__ENV` (e.g. BASE_URL__STAGING)
# beats the plain name, as mozilla/fxa reads `KEY__STAGE` before `KEY`.
URL_VARIABLES: dict[str, tuple[str, ...]] = {
    "web": ("E2E_BASE_URL", "PYTEST_BASE_URL"),
    "api": ("BASE_URL",),
    "admin": ("ADMIN_BASE_URL",),
    "payments": ("PAYMENTS_BASE_URL",),
}


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
    reports_bucket: str = ""  # where `shopflow-qa report publish` puts reports (s3://<bucket>/reports)
    endpoint_url: str = ""  # another S3-compatible endpoint (a test's moto); $AWS_ENDPOINT_URL does the same


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
    capabilities: Capabilities = field(default_factory=Capabilities)
    internal_host: str = ""
    currency: str = "USD"  # ISO 4217: every price, cart, order, payment and refund is in it (core/invariants.py)
    secret_variables: Mapping[str, str] = field(default_factory=dict)
    default_secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    capacity: Capacity = field(default_factory=Capacity)
    aws: AwsResources | None = None
    production: ProductionTargets = field(default_factory=ProductionTargets, repr=False)
    sources: tuple[str, ...] = ()
    urls_overridden: bool = False
    slos: str | Mapping[str, Any] | None = field(default=None, repr=False)  # its own SLO tables, or whose it uses

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
        production = production.merged(production_targets(path, document, DEFAULT_ENV_FILE))
        environments = document.get("environments", {})
        if not isinstance(environments, dict):
            raise ConfigError(f"{path}: environments: must be a table of tables")
        for name, table in environments.items():
            check_table(path, name, table)
            tables[name] = _merge(tables.get(name, {}), table)
            sources.setdefault(name, []).append(str(path))
    inherited = {name: _inherited_slos(name, tables, sources) for name in tables}
    for name, table in tables.items():
        table["slos"] = inherited[name]
    return {name: _build(name, table, tuple(sources[name]), production) for name, table in tables.items()}


def _inherited_slos(name: str, tables: Mapping[str, Mapping[str, Any]], sources: Mapping[str, list[str]]) -> Any:
    """`slos = "staging"` followed to the environment that carries tables of its own; a name no
    environment carries tables for stays a name (the SLO file's table of that name applies)."""
    seen = [name]
    value = tables[name].get("slos")
    while isinstance(value, str) and tables.get(value, {}).get("slos") is not None:
        if value in seen:
            raise ConfigError(f"{sources[name][-1]}: environments.{name}.slos: a loop ({' -> '.join([*seen, value])})")
        seen.append(value)
        value = tables[value]["slos"]
    return value


def load_production_targets(env_files: Sequence[str | Path] = ()) -> ProductionTargets:
    """Only the `[safety]` lists (data file, $SHOPFLOW_ENV_FILE, env files): for checks of URLs
    that belong to no environment (a plain `locust -H`, a local stack's DATABASE_URL)."""
    production = ProductionTargets()
    for path, document in _documents(env_files):
        production = production.merged(production_targets(path, document, DEFAULT_ENV_FILE))
    return production


def _documents(env_files: Sequence[str | Path]) -> list[tuple[Path, dict[str, Any]]]:
    """data/environments.toml, then $SHOPFLOW_ENV_FILE, then each --env-file: read and checked."""
    from_variable = filter(None, os.environ.get("SHOPFLOW_ENV_FILE", "").split(os.pathsep))
    documents = []
    for path in dict.fromkeys([DEFAULT_ENV_FILE, *map(Path, from_variable), *map(Path, env_files)]):
        document = read_toml(path)
        unknown = set(document) - {"safety", "environments"}
        if unknown:
            raise ConfigError(f"{path}: {sorted(unknown)[0]}: unknown top-level table (known: environments, safety)")
        documents.append((path, document))
    return documents


def _build(name: str, table: dict[str, Any], sources: tuple[str, ...], production: ProductionTargets) -> Environment:
    for key in REQUIRED_KEYS:
        if key not in table:
            raise ConfigError(f"{sources[-1]}: environments.{name}.{key}: required")
    aws = table.get("aws")
    capabilities = capabilities_from_table(table.get("capabilities", {}), table.get("mailbox"))
    if capabilities.server_logs == "cloudwatch" and not (aws or {}).get("log_groups"):
        raise ConfigError(
            f'{sources[-1]}: environments.{name}.capabilities.server_logs: "cloudwatch" needs '
            f"[environments.{name}.aws] log_groups"
        )
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
        capabilities=capabilities,
        internal_host=table.get("internal_host", ""),
        currency=table.get("currency", "USD"),
        secret_variables=dict(table.get("secrets", {})),
        default_secrets=dict(table.get("default_secrets", {})),
        capacity=Capacity(**table.get("capacity", {})),
        aws=AwsResources(**aws) if aws else None,
        production=production,
        sources=sources,
        slos=table.get("slos"),
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
