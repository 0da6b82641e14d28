"""Service-level objectives per environment, from data/slos.toml (one reader for the contract
suite's budget and the load profiles' thresholds).

The reader checks the file's shape (`[<env>.contract]`, `[<env>.load]`) and the contract
table here; the load tables' keys are shopflow_qa/core/slo.py's to check. A typo is a one-line
ConfigError naming the file, the table and the key, never a silently ignored objective.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from shopflow_qa.core.environment import ConfigError
from shopflow_qa.core.paths import PACKAGE_DATA

SLO_FILE = PACKAGE_DATA / "slos.toml"
DEFAULT_CONTRACT_MS = 2000
SECTIONS = ("contract", "load")
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
        if not isinstance(sections, Mapping):
            raise ConfigError(f"{path}: {environment}: must be a table of [{environment}.contract] / [{environment}.load]")
        for section, table in sections.items():
            if section not in SECTIONS:
                raise ConfigError(f"{path}: {environment}.{section}: unknown table (known: {', '.join(SECTIONS)})")
            if not isinstance(table, Mapping):
                raise ConfigError(f"{path}: {environment}.{section}: must be a table")
        _check_contract(path, environment, sections.get("contract", {}))
    return document


def _check_contract(path: Path, environment: str, table: Mapping[str, Any]) -> None:
    for key, value in table.items():
        if key not in CONTRACT_KEYS:
            raise ConfigError(f"{path}: {environment}.contract.{key}: unknown key (known: {', '.join(CONTRACT_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{path}: {environment}.contract.{key}: must be a positive whole number of ms, got {value!r}")


@lru_cache(maxsize=4)
def load_slos(path: Path = SLO_FILE) -> dict[str, Any]:
    return read_slos(path)


def slo_environment(name: str, is_local_stack: bool, path: Path = SLO_FILE) -> str:
    """Whose objectives apply (the one rule, for the contract budget and the load thresholds):
    the environment's own when the file has them; else, for any local stack (a fault proof's,
    `stack up --name N`), `local`'s; else its own (none: the defaults)."""
    if name in load_slos(Path(path)) or not is_local_stack:
        return name
    return "local"


def slo_name(environment: str, stack_name: str = "") -> str:
    """`slo_environment` for an environment whose `stack_name` says whether it is a local stack."""
    return slo_environment(environment, bool(stack_name))


def contract_budget_ms(environment: str, path: Path = SLO_FILE) -> int:
    """The contract suite's per-request budget on `environment` (the default when unset)."""
    return int(load_slos(path).get(environment, {}).get("contract", {}).get("response_ms", DEFAULT_CONTRACT_MS))
