"""Are Node.js (for Allure 3) and Allure present, to turn results into the HTML report?"""

from __future__ import annotations

import shutil
import subprocess

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext
from shopflow_qa.core import allure_report

MIN_NODE_MAJOR = 18


def _version(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip().splitlines()[0] if result.returncode == 0 and result.stdout.strip() else None


def allure_executable() -> str | None:
    """The pinned Allure that `make setup` installs (shopflow_qa/core/allure_report.py), else one on PATH."""
    try:
        return str(allure_report.allure_binary())
    except allure_report.AllureMissing:
        return shutil.which("allure")


def check(ctx: DoctorContext) -> list[CheckResult]:
    results = []
    node = shutil.which("node")
    version = _version([node, "--version"]) if node else None
    if not version:
        results.append(ctx.fail("node.js", "not found", "apt-get install -y nodejs npm"))
    else:
        major = int(version.lstrip("v").split(".")[0] or 0)
        if major < MIN_NODE_MAJOR:
            results.append(
                ctx.fail("node.js", f"{version} is too old for Allure 3", f"install Node.js {MIN_NODE_MAJOR} or newer")
            )
        else:
            results.append(ctx.ok("node.js", f"{version} ({node})"))
    allure = allure_executable()
    allure_version = _version([allure, "--version"]) if allure else None
    if not allure_version:
        results.append(ctx.fail("allure", "not found", "run `make setup` (installs Allure with npm into the repo)"))
    else:
        results.append(ctx.ok("allure", f"{allure_version} ({allure})"))
    return results
