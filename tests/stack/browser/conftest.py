"""Browser tests of the local stack's storefront and admin: one healthy stack for all of them.

Chromium comes from the plugin (Debian's, or Playwright's own); pytest-playwright's `page`
fixture drives it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.stack.browser.storefront_steps import Shop, make_shop

TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    """These journeys open their own stack's absolute URLs, never the `local` environment's
    (the plugin's version would resolve, and auto-start, that environment)."""
    return {}


@pytest.fixture(autouse=True)
def _timeouts(page: Page) -> None:
    """One place for the journeys' waits (webhooks and 3DS take a moment)."""
    expect.set_options(timeout=TIMEOUT_MS)
    page.set_default_timeout(TIMEOUT_MS)


@pytest.fixture(autouse=True)
def csp_refusals(page: Page) -> Iterator[list[str]]:
    """The pages' Content-Security-Policy never blocks what the shop serves itself: a refused
    script or style shows only in the console, so every journey listens there. A test that
    provokes refusals on purpose checks them and empties the list."""
    refused: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", listen)
    yield refused
    assert not refused, f"the page's CSP refused the shop's own content: {refused}"


@pytest.fixture(scope="session")
def shop(sqlite_stack) -> Shop:
    """The healthy stack all storefront journeys share (each journey makes its own data)."""
    return make_shop(sqlite_stack.urls)
