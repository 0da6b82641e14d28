"""Inner pytest runs for the plugin's self-tests (a module of its own: a name like `conftest`
is shared by every test folder, so importing helpers from it depends on collection order)."""

from __future__ import annotations

import pytest


def run_inline(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """In-process run (fast). Locust stays out of this process (gevent); playwright too
    (its soft-assertion scope does not nest inside the outer run's)."""
    return pytester.runpytest("-p", "no:locust", "-p", "no:playwright", "-p", "no:cacheprovider", *args)


def run_subprocess(pytester: pytest.Pytester, *args: str, timeout: float = 90) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:locust", "-p", "no:cacheprovider", *args, timeout=timeout)


def header(result: pytest.RunResult) -> str:
    return "\n".join(line for line in result.outlines if line.startswith("shopflow:"))
