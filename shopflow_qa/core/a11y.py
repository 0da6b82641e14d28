"""Accessibility: axe-core (npm `axe-core`, pinned in shopflow_qa/core/axe/package-lock.json,
installed by `make setup` into `.axe/` the way Allure 3 is), what it found on a page, the
checked-in baseline of accepted known issues (`data/a11y_baseline.toml`, each with its reason),
and the verdict: serious and critical violations not in the baseline fail.

The browser side (injecting axe, running it on each page a journey reaches) is
shopflow_qa/fixtures/page_metrics.py's. No Python wrapper is used: axe-playwright-python ships
its own copy of axe, and ours must be the pinned npm one; the glue is two `page.evaluate` calls.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from shopflow_qa.core import npm_pins
from shopflow_qa.core.errors import ConfigError
from shopflow_qa.core.paths import PACKAGE_DATA, PROJECT_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent / "axe"
AXE_DIR = Path(os.environ.get("SHOPFLOW_AXE_DIR") or PROJECT_ROOT / ".axe")
AXE_SCRIPT = Path("node_modules") / "axe-core" / "axe.min.js"
BASELINE_FILE = PACKAGE_DATA / "a11y_baseline.toml"
FAILING_IMPACTS = ("serious", "critical")
# Only violations come back (not passes or incomplete checks): the smallest, fastest answer.
# The card fields are the payment provider's iframe (another origin, its own page): not the shop's to judge.
RUN_OPTIONS: dict[str, Any] = {"resultTypes": ["violations"], "iframes": False}
_ENTRY_KEYS = {"rule": str, "page": str, "target": str, "reason": str}


class AxeMissing(ConfigError):
    """axe-core is not installed; `make setup` installs it."""


def ensure_installed(log: bool = True) -> Path:
    """Install the pinned axe-core into `.axe/` with `npm ci`; a no-op when the lock is unchanged."""
    return npm_pins.install(PACKAGE_DIR, AXE_DIR, AXE_SCRIPT, "axe-core", AxeMissing, log)


def installed_version() -> str:
    return npm_pins.installed_version(AXE_DIR, "axe-core")


@lru_cache(maxsize=1)
def axe_source() -> str:
    """axe.min.js of the pinned install, or AxeMissing with the fix."""
    script = AXE_DIR / AXE_SCRIPT
    if not script.exists():
        raise AxeMissing(f"axe-core is not installed in {AXE_DIR} (run `make setup`, or --page-checks off)")
    return script.read_text()


@dataclass(frozen=True)
class Finding:
    """One violated rule on one page: its impact, the elements (CSS selectors) and where to read more."""

    page: str
    rule: str
    impact: str
    help: str
    help_url: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:3]) + (f" (+{len(self.targets) - 3})" if len(self.targets) > 3 else "")
        return f"page {self.page}: axe rule '{self.rule}' ({self.impact}): {self.help} — {where} — {self.help_url}"


def findings(page: str, violations: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """axe's `violations` array as Findings."""
    return [
        Finding(
            page,
            str(v.get("id")),
            str(v.get("impact") or "minor"),
            str(v.get("help", "")),
            str(v.get("helpUrl", "")),
            tuple(" ".join(map(str, node.get("target", []))) for node in v.get("nodes", [])),
        )
        for v in violations
    ]


@dataclass(frozen=True)
class Accepted:
    """A known issue the gate accepts: a rule (on a page, `*` for any; on elements whose
    selector contains `target`, when given) and why it is accepted."""

    rule: str
    page: str
    reason: str
    target: str = ""

    def covers(self, finding: Finding) -> bool:
        if finding.rule != self.rule or self.page not in ("*", finding.page):
            return False
        return not self.target or all(self.target in t for t in finding.targets)


def read_baseline(path: Path = BASELINE_FILE) -> list[Accepted]:
    """The baseline file (`[[accepted]]` entries: rule, page, reason, optional target); one-line ConfigError."""
    try:
        document = tomllib.loads(Path(path).read_text())
    except OSError as error:
        raise ConfigError(f"{path}: cannot read ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    unknown = set(document) - {"accepted"}
    if unknown:
        raise ConfigError(f"{path}: {sorted(unknown)[0]}: unknown key (known: accepted)")
    entries = []
    for index, entry in enumerate(document.get("accepted", []), 1):
        where = f"{path}: accepted #{index}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a table")
        for key, value in entry.items():
            if key not in _ENTRY_KEYS:
                raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(_ENTRY_KEYS)})")
            if not isinstance(value, str):
                raise ConfigError(f"{where}.{key}: must be a string")
        for key in ("rule", "page", "reason"):
            if not str(entry.get(key, "")).strip():
                raise ConfigError(f"{where}.{key}: required (every accepted issue says which rule, where and why)")
        entries.append(Accepted(entry["rule"], entry["page"], entry["reason"], entry.get("target", "")))
    return entries


@lru_cache(maxsize=4)
def baseline(path: Path = BASELINE_FILE) -> tuple[Accepted, ...]:
    return tuple(read_baseline(path))


def new_failures(found: Iterable[Finding], accepted: Iterable[Accepted]) -> list[Finding]:
    """Serious and critical findings the baseline does not accept: what fails the journey."""
    accepted = list(accepted)
    return [f for f in found if f.impact in FAILING_IMPACTS and not any(a.covers(f) for a in accepted)]


def to_json(found: Iterable[Finding]) -> str:
    return json.dumps([asdict(f) for f in found], indent=1)


def table(found: Iterable[Finding]) -> str:
    """One line per finding: the Allure attachment's text."""
    lines = [f"{f.impact:8} {f.rule:24} {f.page:28} {' | '.join(f.targets)}  {f.help_url}" for f in found]
    return "\n".join(lines) or "no violations"
