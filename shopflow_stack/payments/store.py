"""The sandbox's state: Stripe objects, idempotency records and the webhook outbox, in SQLite.

Why SQLite in the stack folder and not memory: the shop keeps its orders across a stack
restart (its SQLite file or PostgreSQL database), so the provider must keep the same
payments, or refunding yesterday's order would find no charge; and webhooks still queued
when the stack stops are delivered when it starts again, as Stripe would. One connection
behind one lock serialises every operation: the sandbox is a single process, its traffic is
a test's traffic, and serial operations make "one charge per idempotency key" trivially true.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, parent TEXT, created REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS objects_kind_parent ON objects (kind, parent, created);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, endpoint TEXT NOT NULL,
    payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL,
    delivered_at REAL, last_error TEXT);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (delivered_at, next_at);
"""


@dataclass(frozen=True)
class Delivery:
    id: int
    event_id: str
    endpoint: str
    payload: str
    attempts: int


class Store:
    """A small document store; every public method is atomic, `transaction()` groups several."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    # Stripe objects -------------------------------------------------------------------------
    def put(self, obj: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
        with self.transaction():
            self._db.execute(
                "INSERT INTO objects (id, kind, parent, created, body) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET body = excluded.body, parent = COALESCE(excluded.parent, objects.parent)",
                (obj["id"], obj["object"], parent, time.time(), json.dumps(obj)),
            )
        return obj

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM objects WHERE id = ? AND kind = ?", (object_id, kind)).fetchone()
        return json.loads(row[0]) if row else None

    def children(self, kind: str, parent: str) -> list[dict[str, Any]]:
        """Objects of `kind` hanging off `parent` (a PaymentIntent's charges), newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM objects WHERE kind = ? AND parent = ? ORDER BY created DESC", (kind, parent)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def latest(self, kind: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM objects WHERE kind = ? ORDER BY created DESC LIMIT ?", (kind, limit)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    # Idempotency ----------------------------------------------------------------------------
    def recorded(self, scope: str, key: str) -> tuple[str, int, dict[str, Any]] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT fingerprint, status, body FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
            ).fetchone()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def record(self, scope: str, key: str, fingerprint: str, status: int, body: dict[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO idempotency (scope, key, fingerprint, status, body, created) VALUES (?, ?, ?, ?, ?, ?)",
                (scope, key, fingerprint, status, json.dumps(body), time.time()),
            )

    # Webhook outbox -------------------------------------------------------------------------
    def enqueue(self, event_id: str, endpoint: str, payload: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO deliveries (event_id, endpoint, payload, next_at) VALUES (?, ?, ?, ?)",
                (event_id, endpoint, payload, time.time()),
            )

    def due(self, now: float, limit: int = 50) -> list[Delivery]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, event_id, endpoint, payload, attempts FROM deliveries"
                " WHERE delivered_at IS NULL AND next_at <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        return [Delivery(*row) for row in rows]

    def next_due_at(self) -> float | None:
        with self._lock:
            row = self._db.execute("SELECT MIN(next_at) FROM deliveries WHERE delivered_at IS NULL").fetchone()
        return row[0]

    def delivered(self, delivery_id: int) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE deliveries SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
                (time.time(), delivery_id),
            )

    def failed(self, delivery_id: int, error: str, next_at: float | None) -> None:
        """Record a failed attempt; `next_at=None` gives up (kept, with its error, for diagnosis)."""
        with self.transaction():
            self._db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_at = ?,"
                " delivered_at = CASE WHEN ? IS NULL THEN -1 ELSE NULL END WHERE id = ?",
                (error[:500], next_at if next_at is not None else 0, next_at, delivery_id),
            )

    def pending_deliveries(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM deliveries WHERE delivered_at IS NULL").fetchone()[0]

    def delivery_log(self, event_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT endpoint, attempts, delivered_at, last_error FROM deliveries WHERE event_id = ? ORDER BY id",
                (event_id,),
            ).fetchall()
        return [{"endpoint": r[0], "attempts": r[1], "delivered": (r[2] or 0) > 0, "last_error": r[3]} for r in rows]
