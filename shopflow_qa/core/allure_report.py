"""The run's Allure report: one `allure-report/index.html` that opens offline from `file://`.

Allure 3 (npm `allure`, pinned in shopflow_qa/core/allure/package-lock.json) is installed into the
project-local `.allure/` by `make setup`. Before generating, the run's `allure-results/` get
our categories (product defect / environment problem / test defect) and environment
properties (never a secret); the previous run of the same environment hands over its
history file, so trends show without anyone copying folders. The history is read before it
is carried: a secret in it (a run from before results were redacted, a secret rotated into
the list since) is redacted, and an entry that cannot be cleaned is dropped with a warning,
so one leaking run never turns every later gate red. The generated page embeds a Google Tag
Manager script that would call out from a CI artefact: it is stripped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from shopflow_qa.core import npm_pins
from shopflow_qa.core.allure_history import HISTORY_FILE, carry_history
from shopflow_qa.core.environment import ConfigError
from shopflow_qa.core.paths import PROJECT_ROOT

PACKAGE_DIR = Path(__file__).resolve().parent / "allure"
ALLURE_DIR = Path(os.environ.get("SHOPFLOW_ALLURE_DIR") or PROJECT_ROOT / ".allure")
ALLURE_BIN = Path("node_modules") / ".bin" / "allure"
RESULTS = "allure-results"
REPORT = "allure-report"
CONFIG_FILE = "allurerc.mjs"
GENERATE_TIMEOUT_S = 300

# Allure 2 category format (name, matchedStatuses, messageRegex, traceRegex); Allure 3 reads
# the same keys from its config. Order matters: the first match wins. Regexes are written to
# match whole messages (Allure 2 uses a full match, Allure 3 a search: `[\s\S]*` works for both).
_ENVIRONMENT_SIGNS = (
    r"ConnectError|ConnectTimeout|ReadTimeout|WriteTimeout|PoolTimeout|RemoteProtocolError"
    r"|Connection refused|Name or service not known|Temporary failure in name resolution"
    r"|EnvironmentUnavailable|unreachable|net::ERR_|TimeoutError"
    r"|\b50[234]\b|Bad Gateway|Service Unavailable|Gateway Timeout"
)
CATEGORIES: list[dict[str, object]] = [
    {
        "name": "Environment problem",
        "description": "The environment did not answer as a working ShopFlow would: refused or timed-out "
        "connections, 502/503/504, DNS. Check the deploy and the stack before the code.",
        "matchedStatuses": ["failed", "broken"],
        "messageRegex": rf"[\s\S]*({_ENVIRONMENT_SIGNS})[\s\S]*",
    },
    {
        "name": "Environment problem",
        "matchedStatuses": ["failed", "broken"],
        "traceRegex": r"[\s\S]*(httpx\.(ConnectError|ConnectTimeout|ReadTimeout)|ConnectionRefusedError)[\s\S]*",
    },
    {
        "name": "Product defect",
        "description": "An assertion about ShopFlow's behaviour failed: the product does not do what the test expects.",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Test defect",
        "description": "The test itself broke (an error other than a failed assertion): fix the test or its fixtures.",
        "matchedStatuses": ["broken"],
    },
]


class AllureMissing(ConfigError):
    """Allure 3 is not installed; `make setup` installs it."""


# ---- set-up -----------------------------------------------------------------------------


def allure_binary() -> Path:
    """The installed `allure` command, or AllureMissing with the fix."""
    binary = ALLURE_DIR / ALLURE_BIN
    if not binary.exists() or not shutil.which("node"):
        raise AllureMissing("Allure 3 is not installed (run `make setup`)")
    return binary


def ensure_installed(log: bool = True) -> Path:
    """Install the pinned Allure into `.allure/` with `npm ci`; a no-op when the lock is unchanged."""
    return npm_pins.install(PACKAGE_DIR, ALLURE_DIR, ALLURE_BIN, "Allure 3", AllureMissing, log)


def installed_version() -> str:
    """The pinned Allure version as installed (from its package.json)."""
    return npm_pins.installed_version(ALLURE_DIR, "allure")


# ---- what goes into allure-results --------------------------------------------------------


def write_categories(results: Path) -> Path:
    """`categories.json` for readers of the Allure 2 format (the classic and allure2 plugins)."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / "categories.json"
    path.write_text(json.dumps(CATEGORIES, indent=2) + "\n")
    return path


def _escape_property(text: str, key: bool = False) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ") if key else text


def _unescape_property(text: str) -> str:
    return text.strip().replace("\\n", "\n").replace("\\:", ":").replace("\\=", "=").replace("\\ ", " ").replace("\\\\", "\\")


def _read_properties(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            if not line.strip() or line.lstrip().startswith(("#", "!")):
                continue
            parts = re.split(r"(?<!\\)[=:]", line, maxsplit=1)
            key, value = parts[0], parts[1] if len(parts) > 1 else ""
            values[_unescape_property(key)] = _unescape_property(value)
    return values


def write_environment(results: Path, properties: Mapping[str, str], secrets: Sequence[str] = ()) -> Path:
    """`environment.properties` (env, URLs, version, browser), merged over what the plugin wrote.

    Any value containing one of `secrets` is dropped, so a mistake upstream cannot leak one.
    """
    results.mkdir(parents=True, exist_ok=True)
    path = results / "environment.properties"
    merged = {**_read_properties(path), **{k: str(v) for k, v in properties.items() if v not in (None, "")}}
    safe = {k: v for k, v in merged.items() if not any(s and s in v for s in secrets)}
    path.write_text("".join(f"{_escape_property(k, key=True)}={_escape_property(v)}\n" for k, v in sorted(safe.items())))
    return path


# ---- generation ---------------------------------------------------------------------------


def write_config(run: Path, title: str) -> Path:
    """The run's `allurerc.mjs`: awesome plugin, one file, history in the run folder.

    A plain object (no `import { defineConfig } from "allure"`), so the file works from the
    run folder where the `allure` package is not resolvable.
    """
    config = {
        "name": title,
        "output": str(run / REPORT),
        "historyPath": str(run / HISTORY_FILE),
        "categories": {"rules": [{k: v for k, v in c.items() if k != "description"} for c in CATEGORIES]},
        # The tree groups by area, then module (the labels the plugin sets: core/areas.py).
        "plugins": {
            "awesome": {
                "options": {"singleFile": True, "reportName": title, "reportLanguage": "en", "groupBy": ["parentSuite", "suite"]}
            }
        },
    }
    path = run / CONFIG_FILE
    path.write_text(
        "// Written by shopflow_qa/core/allure_report.py for this run.\nexport default " + json.dumps(config, indent=2) + ";\n"
    )
    return path


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>\s*", re.S | re.I)
_ANALYTICS_SRC = re.compile(r"googletagmanager\.com|google-analytics\.com", re.I)
_ANALYTICS_BODY = re.compile(r"function\s+gtag\s*\(|window\.dataLayer\s*=|gtag\(\s*'config'", re.I)


def strip_analytics(html: str) -> str:
    """Remove the Google Tag Manager loader and its inline `gtag` set-up; leave every other script."""

    def keep(match: re.Match[str]) -> str:
        attributes, body = match.group(1), match.group(2)
        if _ANALYTICS_SRC.search(attributes) or (len(body) < 5000 and _ANALYTICS_BODY.search(body)):
            return ""
        return match.group(0)

    return _SCRIPT.sub(keep, html)


def generate(
    run: Path,
    env: str,
    title: str | None = None,
    timeout: float = GENERATE_TIMEOUT_S,
    secrets: Sequence[str] = (),
    warn: Callable[[str], object] | None = None,
) -> Path:
    """Build `run/allure-report/index.html` from `run/allure-results`; returns the HTML path.
    `secrets` are cleaned out of the history carried from the previous run; `warn` hears why
    an entry of it was redacted or dropped."""
    results = run / RESULTS
    if not results.is_dir() or not any(results.iterdir()):
        raise ConfigError(f"{results}: no Allure results to build a report from")
    binary = allure_binary()
    write_categories(results)
    warning = carry_history(run, env, secrets).warning
    if warning and warn is not None:
        warn(warning)
    config = write_config(run, title or f"ShopFlow {env} — {run.name}")
    shutil.rmtree(run / REPORT, ignore_errors=True)
    try:
        result = subprocess.run(
            [str(binary), "generate", "--config", str(config), str(results)],
            cwd=run,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(f"allure generate took longer than {timeout:.0f} s") from None
    (run / "allure-generate.log").write_text(result.stdout + result.stderr)
    html = run / REPORT / "index.html"
    if result.returncode != 0 or not html.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"allure generate failed (see {run / 'allure-generate.log'}): {tail[0]}")
    html.write_text(strip_analytics(html.read_text(encoding="utf-8")), encoding="utf-8")
    return html


def report_stats(run: Path) -> dict[str, object]:
    """What Allure counted (`allure-report/summary.json` stats): total, retries, failed, …"""
    try:
        return dict(json.loads((run / REPORT / "summary.json").read_text()).get("stats", {}))
    except (OSError, ValueError):
        return {}


_EMBEDDED = re.compile(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)')


def embedded_data(html: str) -> dict[str, object]:
    """The JSON documents a single-file awesome report embeds (widgets/…, data/…), decoded.

    For checking a generated report without a browser: categories, environment, counts.
    """
    import base64

    data: dict[str, object] = {}
    for name, encoded in _EMBEDDED.findall(html):
        try:
            data[name] = json.loads(base64.b64decode(encoded))
        except ValueError:
            continue
    return data
