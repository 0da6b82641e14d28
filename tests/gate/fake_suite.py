"""The conftest.py of the small suites the gate tests write: the gate's area markers and an `api`
client aimed at $GATE_TEST_API_URL (the stack the test started)."""

from __future__ import annotations

MARKERS = """
def pytest_configure(config):
    for marker in ("smoke", "contract", "payments", "checkout", "admin"):
        config.addinivalue_line("markers", f"{marker}: gate area")
"""


def conftest(timeout_s: float = 5, token: str | None = None) -> str:
    """Markers plus a session `api` client; `token` is sent as a bearer token when given."""
    headers = f'{{"Authorization": "Bearer {token}"}}' if token else "{}"
    return f"""
import os

import httpx
import pytest

{MARKERS}

@pytest.fixture(scope="session")
def api():
    with httpx.Client(base_url=os.environ["GATE_TEST_API_URL"], headers={headers}, timeout={timeout_s}) as client:
        yield client
"""
