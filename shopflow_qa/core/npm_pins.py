"""npm packages the harness pins (Allure 3, axe-core): a package.json and package-lock.json kept
in the Python package, installed with `npm ci` into a folder of the project. A stamp holding the
lock's digest makes the next `make setup` a no-op until the lock changes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from shopflow_qa.core.errors import ConfigError

STAMP = ".installed"
NPM_CI_TIMEOUT_S = 600


def install(source: Path, target: Path, entry: Path, label: str, missing: type[ConfigError], log: bool = True) -> Path:
    """`npm ci` of the lock in `source` into `target` unless it is there already; returns
    `target / entry` (what the caller runs or reads), or raises `missing` with the fix."""
    digest = hashlib.sha256((source / "package-lock.json").read_bytes()).hexdigest()
    stamp, installed = target / STAMP, target / entry
    if installed.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return installed
    npm = shutil.which("npm")
    if not npm:
        raise missing("npm is not installed (run `make setup`, or `apt-get install -y nodejs npm`)")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(source / name, target / name)
    if log:
        print(f"setup: installing {label} into {target} (npm ci) …", flush=True)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=NPM_CI_TIMEOUT_S,
    )
    if result.returncode != 0 or not installed.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise missing(f"npm ci of {label} failed: {tail[0]}")
    stamp.write_text(digest + "\n")
    return installed


def installed_version(target: Path, package: str) -> str:
    """The version of `package` as installed in `target` ("" when it is not)."""
    manifest = target / "node_modules" / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else ""
