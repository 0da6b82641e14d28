"""Idempotency-Key: the same key (per route and token) returns the first answer again.

The stored answer is looked up and written inside the same write transaction as the work
itself, so two concurrent requests with one key cannot both act (the second waits for the
write lock, then finds the first's answer).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from shopflow_stack.shop.clock import now
from shopflow_stack.tables import idempotency_keys


def scope(route: str, token: str, key: str) -> str:
    return hashlib.sha256(f"{route}\n{token}\n{key}".encode()).hexdigest()


def stored_answer(connection: Connection, key_scope: str) -> tuple[int, dict[str, Any]] | None:
    row = connection.execute(select(idempotency_keys).where(idempotency_keys.c.scope == key_scope)).first()
    return (row.status_code, row.body) if row else None


IN_PROGRESS = 0  # status_code of a key whose first request has not answered yet


def reserve(connection: Connection, key_scope: str) -> tuple[int, dict[str, Any]] | None:
    """Claim a key before acting: None when this request may act; else the stored answer, or
    (IN_PROGRESS, {}) while the first request with this key is still at work."""
    stored = stored_answer(connection, key_scope)
    if stored is not None:
        return stored
    connection.execute(insert(idempotency_keys).values(scope=key_scope, status_code=IN_PROGRESS, body={}, created_at=now()))
    return None


def complete(connection: Connection, key_scope: str, status_code: int, body: dict[str, Any]) -> None:
    connection.execute(
        update(idempotency_keys).where(idempotency_keys.c.scope == key_scope).values(status_code=status_code, body=body)
    )


def release(connection: Connection, key_scope: str) -> None:
    """The first request failed before acting: let a retry with the same key try again."""
    connection.execute(
        delete(idempotency_keys).where(idempotency_keys.c.scope == key_scope, idempotency_keys.c.status_code == IN_PROGRESS)
    )
