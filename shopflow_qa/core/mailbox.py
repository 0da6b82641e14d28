"""The mailbox: the emails the shop's worker sent, read through the admin API (local and staging)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NoReturn, Protocol


class MailboxTimeout(AssertionError):
    """Fewer emails than expected arrived in time."""


class MailboxReader(Protocol):
    def mailbox(self, recipient: str) -> list[dict[str, Any]]: ...


def _raise(message: str) -> NoReturn:
    raise MailboxTimeout(message)


class Mailbox:
    """`wait_for(recipient, count, subject)` polls until the emails arrived; `fail` reports a
    timeout (the pytest plugin passes one that fails the test without a traceback)."""

    def __init__(self, admin: MailboxReader, timeout: float = 10.0, fail: Callable[[str], NoReturn] = _raise) -> None:
        self._admin = admin
        self.timeout = timeout
        self._fail = fail

    def messages(self, recipient: str) -> list[dict[str, Any]]:
        """The e-mails sent to `recipient` so far (no waiting)."""
        return self._admin.mailbox(recipient)

    def wait_for(self, recipient: str, count: int = 1, subject: str = "") -> list[dict[str, Any]]:
        """Poll until `count` messages (whose subject contains `subject`) arrived; fail otherwise."""
        __tracebackhide__ = True
        deadline = time.monotonic() + self.timeout
        while True:
            found = [m for m in self.messages(recipient) if subject in m.get("subject", "")]
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if len(found) < count:
            self._fail(f"mailbox: {len(found)} of {count} email(s) to {recipient} after {self.timeout:.0f} s")
        return found
