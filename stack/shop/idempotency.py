"""Idempotency-Key: the same key (per route and token) returns the first answer again.

The stored answer is looked up and written inside the same write transaction as the work
itself, so two concurrent requests with one key cannot both act (the second waits for the
write lock, then finds the first's answer).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, insert, select

from stack.shop.clock import now
from stack.tables import idempotency_keys


def scope(route: str, token: str, key: str) -> str:
    return hashlib.sha256(f"{route}\n{token}\n{key}".encode()).hexdigest()


def stored_answer(connection: Connection, key_scope: str) -> tuple[int, dict[str, Any]] | None:
    row = connection.execute(select(idempotency_keys).where(idempotency_keys.c.scope == key_scope)).first()
    return (row.status_code, row.body) if row else None


def remember(connection: Connection, key_scope: str, status_code: int, body: dict[str, Any]) -> None:
    connection.execute(insert(idempotency_keys).values(scope=key_scope, status_code=status_code, body=body,
                                                       created_at=now()))
