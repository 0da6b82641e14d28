"""Capabilities, not guesses: a test marked `needs(...)` runs where the environment declares the
capability and is skipped with one line naming it where it does not; an unknown name is a usage
error. Nothing here contacts the environment: the tests do not ask for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.inner_runs import run_inline

SUITE = """
import pytest

@pytest.mark.needs("mailbox")
def test_the_confirmation_email_arrives(): pass

@pytest.mark.needs("admin_api", "server_logs")
def test_staff_see_the_log(): pass

def test_needs_nothing(): pass
"""


def _env_file(tmp_path: Path, capabilities: str) -> Path:
    path = tmp_path / "env.toml"
    path.write_text(
        '[environments.rehearsal]\nweb_url = "https://shop.rehearsal.test:9"\napi_url = "https://api.rehearsal.test:9"\n'
        f"[environments.rehearsal.capabilities]\n{capabilities}\n"
    )
    return path


def test_a_missing_capability_skips_its_tests_with_one_line_naming_it(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(SUITE)
    env = _env_file(tmp_path, 'mailbox = false\nserver_logs = "local"')
    result = run_inline(pytester, "--env", "rehearsal", "--env-file", str(env), "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * not verified on rehearsal: needs mailbox (the emails the shop sent*"])


def test_every_needed_capability_must_be_there(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(SUITE)
    env = _env_file(tmp_path, "mailbox = true")  # no server_logs: "none" by default
    result = run_inline(pytester, "--env", "rehearsal", "--env-file", str(env), "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * not verified on rehearsal: needs server_logs (*"])


def test_an_unknown_capability_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile('import pytest\n\n@pytest.mark.needs("mail_box")\ndef test_x(): pass\n')
    env = _env_file(tmp_path, "mailbox = true")
    result = run_inline(pytester, "--env", "rehearsal", "--env-file", str(env))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "needs('mail_box') names no capability (known: payments_sandbox, mailbox" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
