"""Machine set-up steps that `make setup` runs: idempotent, quick when already done."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from shopflow_qa.core.browser import BrowserNotFound, find_chromium


def _apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit(f"setup: please install {' '.join(packages)} (e.g. `sudo apt-get install -y {' '.join(packages)}`)")
    print(f"setup: installing {' '.join(packages)} with apt-get …", flush=True)
    # RUNLEVEL=1: a package's service (nginx on :80) is installed, never started.
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", RUNLEVEL="1")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL)


def ensure_browser() -> None:
    """A launchable Chromium (Playwright's or Debian's) and ffmpeg for video."""
    missing = []
    try:
        find_chromium()
    except BrowserNotFound:
        missing.append("chromium")
    if not shutil.which("ffmpeg"):
        missing.append("ffmpeg")
    if missing:
        _apt_install(*missing)
    print(f"setup: browser {find_chromium()}")


def ensure_allure() -> None:
    """Node.js (Debian's, only when `node` is absent) and the pinned Allure 3 in `.allure/`."""
    from shopflow_qa.core import allure_report

    if not shutil.which("node"):
        _apt_install("nodejs", "npm")
    allure_report.ensure_installed()
    print(f"setup: allure {allure_report.installed_version()} ({allure_report.ALLURE_DIR})")


def ensure_axe() -> None:
    """The pinned axe-core in `.axe/` (injected into every page the journeys reach)."""
    from shopflow_qa.core import a11y

    if not shutil.which("node"):
        _apt_install("nodejs", "npm")
    a11y.ensure_installed()
    print(f"setup: axe-core {a11y.installed_version()} ({a11y.AXE_DIR})")


def find_nginx() -> str | None:
    """The nginx binary (Debian puts it in /usr/sbin, which a user's PATH may lack)."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    return found or None


def ensure_proxy() -> None:
    """For the harness's staging rehearsal (tests/rehearsal/): nginx, a real TLS reverse proxy,
    and NSS's certutil, with which Chromium is given the rehearsal's throw-away CA."""
    missing = [] if find_nginx() else ["nginx-light"]
    if not shutil.which("certutil"):
        missing.append("libnss3-tools")
    if missing:
        _apt_install(*missing)
    print(f"setup: proxy {find_nginx()}, certutil {shutil.which('certutil')}")


def main(argv: list[str]) -> int:
    steps = {"browser": ensure_browser, "allure": ensure_allure, "axe": ensure_axe, "proxy": ensure_proxy}
    for name in argv or list(steps):
        if name not in steps:
            print(f"setup: unknown step '{name}' (known: {', '.join(steps)})", file=sys.stderr)
            return 2
        steps[name]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
