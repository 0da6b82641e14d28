"""Service-level objectives per environment (one reader for the contract suite's budget and the
load profiles' thresholds): the environment's own tables (`slos` in its env file), the SLO
file's table it names (`slos = "staging"`) or carries by name, a local stack's `local`, else
the file's `[default]` profile with a warning (`slos_for`).

The reader checks the file's shape (`[<env>.contract]`, `[<env>.load]`) and the contract
table here; the load tables' keys are shopflow_qa/core/slo.py's to check. A typo is a one-line
ConfigError naming the file, the table and the key, never a silently ignored objective.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from shopflow_qa.core import page_budgets, perf_baseline
from shopflow_qa.core.environment import ConfigError, Environment
from shopflow_qa.core.paths import PACKAGE_DATA

SLO_FILE = PACKAGE_DATA / "slos.toml"
DEFAULT_PROFILE = "default"  # the SLO file's table for environments that bring none
DEFAULT_CONTRACT_MS = 2000
SECTIONS = ("contract", "load", "regression", *page_budgets.SECTIONS.values())
CONTRACT_KEYS = ("response_ms",)


def read_slos(path: Path = SLO_FILE) -> dict[str, Any]:
    """The whole file, its shape checked; ConfigError (one line) when unreadable or malformed."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    for environment, sections in document.items():
        check_sections(f"{path}: {environment}", sections)
    return document


def check_sections(where: str, sections: Any) -> None:
    """One environment's `contract` / `load` / `regression` / `pages` / `pages_mobile` tables (the file's, or an env file's `slos`)."""
    if not isinstance(sections, Mapping):
        raise ConfigError(f"{where}: must be a table of contract / load tables")
    for section, table in sections.items():
        if section not in SECTIONS:
            raise ConfigError(f"{where}.{section}: unknown table (known: {', '.join(SECTIONS)})")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}.{section}: must be a table")
    if "regression" in sections:
        perf_baseline.check_table(f"{where}.regression", sections["regression"])
    for section in page_budgets.SECTIONS.values():
        if section in sections:
            page_budgets.check_table(f"{where}.{section}", sections[section])
    for key, value in sections.get("contract", {}).items():
        if key not in CONTRACT_KEYS:
            raise ConfigError(f"{where}.contract.{key}: unknown key (known: {', '.join(CONTRACT_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}.contract.{key}: must be a positive whole number of ms, got {value!r}")


@dataclass(frozen=True)
class SloChoice:
    """Whose objectives judge an environment, where they were read, and the tables themselves."""

    name: str  # the environment whose objectives apply ("default": the file's default profile)
    where: str  # for error lines: "data/slos.toml: local" or "qa2.toml: environments.qa2.slos"
    tables: Mapping[str, Any] = field(default_factory=dict)  # {"contract": {...}, "load": {...}}
    warning: str = ""  # set when the default profile applies

    @property
    def load(self) -> Mapping[str, Any]:
        return self.tables.get("load", {})


def slos_for(environment: Environment, path: Path = SLO_FILE) -> SloChoice:
    """The one rule for whose objectives judge `environment`:

    1. its own tables (`[environments.X.slos.load]` in an env file, inherited through `slos = "Y"`);
    2. the SLO file's table it names (`slos = "staging"`), or the file's table of its own name;
    3. for any local stack (a fault proof's, `stack up --name N`), `local`'s;
    4. the file's `[default]` profile, with a warning for the report (none there: empty tables).
    """
    path = Path(path)
    document = load_slos(path)
    own = environment.slos
    if isinstance(own, Mapping):
        where = f"{environment.sources[-1] if environment.sources else 'env file'}: environments.{environment.name}.slos"
        check_sections(where, own)
        return SloChoice(environment.name, where, own)
    if isinstance(own, str):
        if own not in document:
            known = ", ".join(sorted(document)) or "none"
            raise ConfigError(
                f"environment '{environment.name}': slos = {own!r}: no SLOs of that name in {path} (known: {known})"
            )
        return SloChoice(own, f"{path}: {own}", document[own])
    if environment.name in document:
        return SloChoice(environment.name, f"{path}: {environment.name}", document[environment.name])
    if environment.stack_name and "local" in document:
        return SloChoice("local", f"{path}: local", document["local"])
    warning = (
        f"environment '{environment.name}' brings no SLOs: judged by the default profile "
        f"([{DEFAULT_PROFILE}] of {path}); add `slos` to its table"
    )
    return SloChoice(DEFAULT_PROFILE, f"{path}: {DEFAULT_PROFILE}", document.get(DEFAULT_PROFILE, {}), warning)


def contract_budget(environment: Environment, path: Path = SLO_FILE) -> int:
    """The contract suite's per-request budget on `environment` (DEFAULT_CONTRACT_MS when unset)."""
    return int(slos_for(environment, path).tables.get("contract", {}).get("response_ms", DEFAULT_CONTRACT_MS))


@lru_cache(maxsize=4)
def load_slos(path: Path = SLO_FILE) -> dict[str, Any]:
    return read_slos(path)
