"""The plugin's self-tests run with a clean, known environment (helpers: inner_runs.py)."""

from __future__ import annotations

import pytest

# Variables that steer the plugin; each test sets what it means to test and nothing leaks in.
STEERING = (
    "SHOPFLOW_ENV",
    "SHOPFLOW_ENV_FILE",
    "E2E_BASE_URL",
    "PYTEST_BASE_URL",
    "BASE_URL",
    "ADMIN_BASE_URL",
    "PAYMENTS_BASE_URL",
    "PRODUCTION_TOKEN",
    "STAGING_TOKEN",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in STEERING:
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.endswith(("__STAGING", "__LOCAL", "__PRODUCTION")):
            monkeypatch.delenv(name)
