"""The local stack's database: one SQLAlchemy engine per process, SQLite or PostgreSQL.

Writes that check-then-change (stock, idempotency keys) must not interleave. PostgreSQL's
row locks give that with `UPDATE … WHERE stock >= n`; SQLite gets it from taking the write
lock at BEGIN (`BEGIN IMMEDIATE`), so two writers queue instead of failing on upgrade.
Reads stay plain deferred transactions, which WAL lets run beside a writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "shopflow_write"


def engine_url(database_url: str) -> str:
    """`postgresql://` as people write it → the psycopg 3 driver SQLAlchemy should use."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def make_engine(database_url: str) -> Engine:
    url = engine_url(database_url)
    if not is_sqlite(url):
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """`read()` and `write()` transactions over one engine."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = make_engine(database_url)

    @property
    def backend(self) -> str:
        return "sqlite" if is_sqlite(self.url) else "postgresql"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(**{_WRITE: True}) as connection, connection.begin():
            yield connection

    def ping(self) -> None:
        with self.read() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
