"""Can the harness's Chromium start headless? Launched in a subprocess, never in this process."""

from __future__ import annotations

import subprocess

from shopflow_qa.cli.doctor.model import CheckResult, DoctorContext
from shopflow_qa.core.browser import BrowserNotFound, find_chromium

NAME = "browser"
LAUNCH_TIMEOUT_S = 30


def check(ctx: DoctorContext) -> list[CheckResult]:
    try:
        executable = find_chromium()
    except BrowserNotFound as error:
        return [ctx.fail(NAME, "no Chromium found", str(error).split(": ", 1)[-1])]
    command = [str(executable), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "about:blank"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return [
            ctx.fail(
                NAME,
                f"{executable} did not render about:blank within {LAUNCH_TIMEOUT_S} s",
                "run `make setup`, or set $SHOPFLOW_CHROMIUM to a working Chromium",
            )
        ]
    except OSError as error:
        return [ctx.fail(NAME, f"{executable} cannot start ({error.strerror})", "run `make setup`")]
    if result.returncode != 0 or "<html" not in result.stdout:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1][:160]
        return [
            ctx.fail(
                NAME,
                f"{executable} exited {result.returncode}: {last}",
                "run `make setup` (installs Debian's chromium) or `playwright install chromium`",
            )
        ]
    return [ctx.ok(NAME, f"{executable} launches headless")]
