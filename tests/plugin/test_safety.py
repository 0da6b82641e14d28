"""The production guard: only `nondestructive` tests run on a read-only environment, or on any
environment whose URLs point at a production host; the rest skip with the refusing marker;
a selection the policy empties is a usage error. Nothing here contacts production: the tests
that run there do not ask for the environment."""

from __future__ import annotations

import pytest

from tests.plugin.inner_runs import run_inline, run_subprocess

SUITE = """
import pytest

@pytest.mark.smoke
@pytest.mark.nondestructive
def test_home_page_answers(): pass

@pytest.mark.checkout
def test_guest_checkout(): pass

@pytest.mark.payments
def test_declined_card(): pass

@pytest.mark.admin
def test_admin_refund(): pass

@pytest.mark.load
def test_load_profile(): pass

def test_unmarked(): pass

@pytest.mark.nondestructive
@pytest.mark.checkout
def test_labelled_safe_but_checks_out(): pass
"""

REASONS = {
    "test_guest_checkout": "checkout",
    "test_declined_card": "payments",
    "test_admin_refund": "admin",
    "test_load_profile": "load",
    "test_unmarked": "destructive",
    "test_labelled_safe_but_checks_out": "checkout",
}


def _assert_guarded(result: pytest.RunResult) -> None:
    result.assert_outcomes(passed=1, skipped=6)
    text = result.stdout.str()
    for test, marker in REASONS.items():
        assert f"refused on production: {marker}" in text, test
    result.stdout.fnmatch_lines(["*test_home_page_answers PASSED*"])


def test_production_runs_only_nondestructive(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = run_inline(pytester, "--env", "production", "-rs", "-v")
    _assert_guarded(result)
    assert "read-only: only tests marked nondestructive run" in result.stdout.str()


def test_a_custom_environment_on_a_production_url_is_guarded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    mirror = pytester.path / "mirror.toml"
    mirror.write_text('[environments.mirror]\nweb_url = "http://127.0.0.1:9399"\napi_url = "https://api.shopflow.io"\n')
    _assert_guarded(run_inline(pytester, "--env", "mirror", "--env-file", str(mirror), "-rs", "-v"))


def test_a_production_url_by_variable_guards_staging_too(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(SUITE)
    monkeypatch.setenv("BASE_URL", "https://api.shopflow.io/")
    _assert_guarded(run_inline(pytester, "--env", "staging", "-rs", "-v"))


def test_writable_environment_refuses_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    run_inline(pytester, "--env", "staging").assert_outcomes(passed=7)


def test_a_selection_the_policy_empties_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = run_inline(pytester, "--env", "production", "-m", "checkout or payments")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: shopflow: environment 'production' is read-only: every selected test is "
            "refused (2 checkout, 1 payments); only tests marked nondestructive run there"
        ]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_selection_the_policy_empties_is_a_usage_error_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = run_subprocess(pytester, "--env", "production", "-m", "not nondestructive", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: shopflow: environment 'production' is read-only: every selected test is refused*"])
    assert "passed" not in result.stdout.str()
