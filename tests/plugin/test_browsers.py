"""Every Playwright browser the machine has, as pytest-playwright users expect it.

The Debian Chromium fallback applies to chromium only; a browser that is not installed, a
device Playwright does not know, or --headed without a display is one line and exit 2 before
anything starts; --slowmo, --device and --headed reach the browser. The runs from the root go
through `pytest` and `python -m pytest` as a person types them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shopflow_qa.core import browser as _browser
from tests.plugin.inner_runs import run_subprocess

REPO = Path(__file__).resolve().parents[2]
PYTEST = Path(sys.executable).with_name("pytest")


def _facts(tmp_path: Path, installed: tuple[str, ...] = ()) -> _browser.PlaywrightFacts:
    executables = {}
    for name in ("chromium", "firefox", "webkit"):
        executables[name] = tmp_path / name / "bin"
        if name in installed:
            executables[name].parent.mkdir(parents=True)
            executables[name].touch()
    return _browser.PlaywrightFacts(executables, frozenset({"iPhone 13", "iPhone 13 Pro", "Pixel 7"}))


@pytest.fixture
def chromium_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable named by $SHOPFLOW_CHROMIUM: the chromium checks pass on any machine."""
    binary = tmp_path / "my-chromium"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setenv(_browser.OVERRIDE_VARIABLE, str(binary))
    return binary


# -- which executable each browser launches ---------------------------------------------------


def test_the_debian_fallback_is_for_chromium_only(chromium_here: Path) -> None:
    assert _browser.launch_executable("chromium") == chromium_here
    assert _browser.launch_executable("firefox") is None
    assert _browser.launch_executable("webkit") is None
    assert _browser.launch_executable("chromium", channel="chrome") is None  # the channel's own browser


# -- one line per problem, before anything starts ---------------------------------------------


@pytest.mark.parametrize("name", ["firefox", "webkit"])
def test_a_browser_that_is_not_installed_says_how_to_install_it(tmp_path: Path, name: str) -> None:
    [problem] = _browser.browser_problems([name], facts=_facts(tmp_path))
    assert f"`playwright install {name}`" in problem
    assert problem.startswith(f"--browser {name}: ")
    assert _browser.browser_problems([name], facts=_facts(tmp_path, installed=(name,))) == []


def test_a_missing_chromium_names_every_way_to_get_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_browser.OVERRIDE_VARIABLE, str(tmp_path / "nowhere"))
    [problem] = _browser.browser_problems(["chromium"], facts=_facts(tmp_path))
    assert problem.startswith("--browser chromium: $SHOPFLOW_CHROMIUM=")


def test_an_unknown_device_gets_the_close_names(tmp_path: Path, chromium_here: Path) -> None:
    [problem] = _browser.browser_problems(["chromium"], device="iPhone13", facts=_facts(tmp_path))
    assert "'iPhone13' is not one of Playwright's devices; did you mean 'iPhone 13'" in problem
    assert _browser.browser_problems(["chromium"], device="iPhone 13", facts=_facts(tmp_path)) == []


def test_headed_needs_a_display(chromium_here: Path) -> None:
    [problem] = _browser.browser_problems(["chromium"], headed=True, environ={})
    assert "xvfb-run" in problem
    assert _browser.browser_problems(["chromium"], headed=True, environ={"DISPLAY": ":99"}) == []


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    problems = _browser.browser_problems(["firefox", "webkit"], device="Nokia", headed=True, facts=_facts(tmp_path), environ={})
    assert [p.split(" ", 2)[:2] for p in problems] == [
        ["--browser", "firefox:"],
        ["--browser", "webkit:"],
        ["--device", "'Nokia'"],
        ["--headed", "needs"],
    ]


def _from_the_root(*args: str, drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """`pytest ARGS` typed at the repository's root (no outer run's PYTEST_* or environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SHOPFLOW_ENV")) and k not in drop}
    return subprocess.run(
        [str(PYTEST), "-p", "no:cacheprovider", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("name", ["firefox", "webkit"])
def test_pytest_suites_with_a_browser_this_machine_lacks_is_one_line_and_exit_2(name: str) -> None:
    if not _browser.browser_problems([name]):
        pytest.skip(f"Playwright's {name} is installed here: nothing to refuse")
    done = _from_the_root("suites", "-m", "checkout", "--browser", name)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""  # nothing started: no header, no stack, no collection
    [line] = done.stderr.splitlines()
    assert line.startswith(f"ERROR: shopflow: --browser {name}: ")
    assert f"`playwright install {name}`" in line


def test_headed_without_a_display_is_one_line_and_exit_2() -> None:
    done = _from_the_root("suites", "-m", "checkout", "--headed", drop=("DISPLAY", "WAYLAND_DISPLAY"))
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("ERROR: shopflow: --headed needs a display")


# -- the options reach the browser (a real Chromium against the session's stack) ---------------

# fixtures/README.md's example of a team's own override, in the inner run's root conftest.py
TEAM_OVERRIDE = """
import pytest


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "de-DE"}
"""

REACHES_THE_BROWSER = """
import json
import os


def test_the_options_reach_the_page(page, browser_type_launch_args, browser_context_args, shopflow_env, shopflow_run_id):
    page.goto("/")
    seen = {
        "launch": browser_type_launch_args,
        "base_url": browser_context_args["base_url"],
        "run_header": browser_context_args["extra_http_headers"]["X-ShopFlow-Test-Run"],
        "user_agent": page.evaluate("navigator.userAgent"),
        "width": page.evaluate("window.innerWidth"),
        "touch": page.evaluate("'ontouchstart' in window"),
        "language": page.evaluate("navigator.language"),
        "url": page.url,
        "env_web": shopflow_env.url("web"),
        "run_id": shopflow_run_id,
    }
    with open(os.environ["SEEN_FILE"], "w") as out:
        json.dump(seen, out)
"""


def _seen(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, stack, *args: str, wrapper: tuple[str, ...] = ()) -> dict:
    """Run REACHES_THE_BROWSER in a pytest process of its own (under `wrapper`, e.g. xvfb-run)."""
    pytester.makepyfile(test_reaches=REACHES_THE_BROWSER)
    pytester.makeconftest(TEAM_OVERRIDE)
    seen_file = pytester.path / "seen.json"
    monkeypatch.setenv("SEEN_FILE", str(seen_file))
    common = ("--env", stack.name, "--env-file", str(stack.env_file), *args)
    if wrapper:
        pytest_command = (sys.executable, "-m", "pytest", "-p", "no:locust", "-p", "no:cacheprovider")
        result = pytester.run(*wrapper, *pytest_command, *common, timeout=120)
    else:
        result = run_subprocess(pytester, *common, timeout=120)
    assert result.ret == 0, "\n".join(result.outlines[-30:] + result.errlines[-10:])
    return json.loads(seen_file.read_text())


def test_slowmo_and_device_pass_through_to_chromium(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sqlite_stack
) -> None:
    seen = _seen(pytester, monkeypatch, sqlite_stack, "--slowmo", "40", "--device", "iPhone 13")
    assert seen["launch"]["slow_mo"] == 40
    assert "executable_path" in seen["launch"] or _browser.playwright_chromium()  # Debian's, or Playwright's own
    assert "iPhone" in seen["user_agent"]
    assert seen["width"] == 390 and seen["touch"] is True  # iPhone 13's viewport, a touch screen
    # the device's settings and the team's override are added to the plugin's, not instead of them
    assert seen["language"] == "de-DE"
    assert seen["base_url"] == seen["env_web"] and seen["url"].startswith(seen["env_web"])
    assert seen["run_header"] == seen["run_id"]


def test_headed_runs_under_a_virtual_display(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sqlite_stack) -> None:
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        pytest.skip("xvfb-run is not installed (Debian: apt-get install xvfb); --headed without a display is tested above")
    seen = _seen(pytester, monkeypatch, sqlite_stack, "--headed", wrapper=(xvfb_run, "-a"))
    assert seen["launch"]["headless"] is False
    assert "HeadlessChrome" not in seen["user_agent"]
