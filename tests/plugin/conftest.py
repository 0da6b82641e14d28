"""Helpers for the plugin's self-tests: inner pytest runs with a clean, known environment."""

from __future__ import annotations

import pytest

# Variables that steer the plugin; each test sets what it means to test and nothing leaks in.
STEERING = ("SHOPFLOW_ENV", "SHOPFLOW_ENV_FILE", "E2E_BASE_URL", "PYTEST_BASE_URL", "BASE_URL",
            "ADMIN_BASE_URL", "PAYMENTS_BASE_URL", "PRODUCTION_TOKEN", "STAGING_TOKEN")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in STEERING:
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.endswith(("__STAGING", "__LOCAL", "__PRODUCTION")):
            monkeypatch.delenv(name)


def run_inline(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """In-process run (fast). Locust stays out of this process (gevent); playwright too
    (its soft-assertion scope does not nest inside the outer run's)."""
    return pytester.runpytest("-p", "no:locust", "-p", "no:playwright", "-p", "no:cacheprovider", *args)


def run_subprocess(pytester: pytest.Pytester, *args: str, timeout: float = 90) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:locust", "-p", "no:cacheprovider", *args, timeout=timeout)


def header(result: pytest.RunResult) -> str:
    return "\n".join(line for line in result.outlines if line.startswith("shopflow:"))
