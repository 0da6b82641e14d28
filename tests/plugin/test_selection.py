"""Which environment a run targets, and every URL override, in the precedence docs/architecture.md states."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.plugin.inner_runs import header, run_inline

# A test that needs no environment: the header alone shows what was resolved, nothing is contacted.
PLAIN = "def test_plain(base_url):\n    print('BASE_URL=' + str(base_url))\n"


def _env_file(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


def test_default_is_local(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PLAIN)
    result = run_inline(pytester, "-s")
    assert "shopflow: environment local (read-write; auto-starts local stack 'local')" in header(result)
    assert "api=http://127.0.0.1:8602" in header(result)
    result.stdout.fnmatch_lines(["*BASE_URL=http://127.0.0.1:8600"])


def test_shopflow_env_variable_then_env_flag(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(PLAIN)
    monkeypatch.setenv("SHOPFLOW_ENV", "staging")
    assert "environment staging (read-write)" in header(run_inline(pytester))
    assert "environment local " in header(run_inline(pytester, "--env", "local"))


def test_env_file_adds_and_later_files_override(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PLAIN)
    first = _env_file(
        pytester.path / "a.toml",
        '[environments.review]\nweb_url = "http://127.0.0.1:9391"\n'
        'api_url = "http://127.0.0.1:9392"\n[environments.local]\napi_url = "http://127.0.0.1:9399"\n',
    )
    second = _env_file(pytester.path / "b.toml", '[environments.review]\napi_url = "http://127.0.0.1:9393"\n')
    result = run_inline(pytester, "--env", "review", "--env-file", str(first), "--env-file", str(second), "-s")
    assert "environment review" in header(result) and "api=http://127.0.0.1:9393" in header(result)
    result.stdout.fnmatch_lines(["*BASE_URL=http://127.0.0.1:9391"])
    local = run_inline(pytester, "--env-file", str(first))
    assert "api=http://127.0.0.1:9399" in header(local)
    assert "auto-starts" not in header(local) or "local stack" in header(local)


def test_web_url_precedence(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """--base-url > E2E_BASE_URL > PYTEST_BASE_URL > --env-file > data file."""
    pytester.makepyfile(PLAIN)
    env_file = _env_file(pytester.path / "e.toml", '[environments.local]\nweb_url = "http://127.0.0.1:9381"\n')
    result = run_inline(pytester, "--env-file", str(env_file), "-s")
    result.stdout.fnmatch_lines(["*BASE_URL=http://127.0.0.1:9381"])
    monkeypatch.setenv("PYTEST_BASE_URL", "http://127.0.0.1:9382")
    run_inline(pytester, "--env-file", str(env_file), "-s").stdout.fnmatch_lines(["*BASE_URL=http://127.0.0.1:9382"])
    monkeypatch.setenv("E2E_BASE_URL", "http://127.0.0.1:9383")
    result = run_inline(pytester, "--env-file", str(env_file), "-s")
    result.stdout.fnmatch_lines(["*BASE_URL=http://127.0.0.1:9383"])
    assert "auto-starts" not in header(result)  # any URL override turns auto-start off
    result = run_inline(pytester, "--env-file", str(env_file), "--base-url", "http://127.0.0.1:9384", "-s")
    result.stdout.fnmatch_lines(["*BASE_URL=http://127.0.0.1:9384"])
    assert "web=http://127.0.0.1:9384" in header(result)


def test_api_and_admin_url_precedence(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """--api-url > BASE_URL > --env-file; --admin-url > ADMIN_BASE_URL; NAME__ENV beats NAME."""
    pytester.makepyfile(PLAIN)
    env_file = _env_file(
        pytester.path / "e.toml", '[environments.local]\napi_url = "http://127.0.0.1:9371"\nadmin_url = "http://127.0.0.1:9372"\n'
    )
    assert "admin=http://127.0.0.1:9372 api=http://127.0.0.1:9371" in header(run_inline(pytester, "--env-file", str(env_file)))
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:9373")
    monkeypatch.setenv("ADMIN_BASE_URL", "http://127.0.0.1:9374")
    assert "admin=http://127.0.0.1:9374 api=http://127.0.0.1:9373" in header(run_inline(pytester, "--env-file", str(env_file)))
    monkeypatch.setenv("BASE_URL__LOCAL", "http://127.0.0.1:9375")
    assert "api=http://127.0.0.1:9375" in header(run_inline(pytester))
    lines = header(run_inline(pytester, "--api-url", "http://127.0.0.1:9376", "--admin-url", "http://127.0.0.1:9377"))
    assert "admin=http://127.0.0.1:9377 api=http://127.0.0.1:9376" in lines


def test_unknown_environment_is_one_line_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PLAIN)
    result = run_inline(pytester, "--env", "nowhere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: shopflow: unknown environment 'nowhere' (known: local, production, staging)"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_bad_toml_and_bad_key_name_the_file_and_key(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(PLAIN)
    broken = _env_file(pytester.path / "broken.toml", "[environments.local\nweb_url = 1\n")
    result = run_inline(pytester, "--env-file", str(broken))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: shopflow: {broken}: invalid TOML: *"])
    typo = _env_file(pytester.path / "typo.toml", '[environments.local]\napi_ulr = "http://127.0.0.1:1"\n')
    result = run_inline(pytester, "--env-file", str(typo))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: shopflow: {typo}: environments.local.api_ulr: unknown key *"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_options_live_in_one_group_and_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = run_inline(pytester, "--help")
    text = result.stdout.str()
    group = text[text.index("ShopFlow environment") :]
    for option in (
        "--env=NAME",
        "--env-file=PATH",
        "--api-url=URL",
        "--admin-url=URL",
        "--wait-for-deploy=SECONDS",
        "--expect-version=SHA",
    ):
        assert option in group.split("\n\n")[0], option
    markers = run_inline(pytester, "--markers").stdout.str()
    for name in ("smoke", "api", "contract", "checkout", "payments", "admin", "destructive", "load", "nondestructive"):
        assert f"@pytest.mark.{name}: " in markers, name


@pytest.mark.parametrize("version", ["abc12", "zz", "zzzzzzzz", "release-2026"])
def test_an_expect_version_that_is_no_sha_is_refused_at_once(pytester: pytest.Pytester, version: str) -> None:
    pytester.makepyfile(PLAIN)
    started = time.monotonic()
    result = run_inline(pytester, "--expect-version", version)
    assert time.monotonic() - started < 2
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: shopflow: --expect-version needs at least 7 characters of a hex SHA *, got {version!r}"]
    )
