"""The worker's queue: rows in the `jobs` table, written in the same transaction as the change
that causes them (an outbox), so a paid order can never lose its confirmation email.

Claiming takes a job in a write transaction (SQLite: the write lock; PostgreSQL: a row-level
`FOR UPDATE SKIP LOCKED`), so two workers never run the same job.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from shopflow_stack.shop.clock import now
from shopflow_stack.tables import jobs

MAX_ATTEMPTS = 5


def enqueue(connection: Connection, kind: str, payload: dict[str, Any]) -> None:
    moment = now()
    connection.execute(
        insert(jobs).values(kind=kind, payload=payload, status="queued", attempts=0, run_after=moment, created_at=moment)
    )


def claim(connection: Connection, postgres: bool) -> Row | None:
    query = select(jobs).where(jobs.c.status == "queued", jobs.c.run_after <= now()).order_by(jobs.c.id).limit(1)
    if postgres:
        query = query.with_for_update(skip_locked=True)
    job = connection.execute(query).first()
    if job is not None:
        connection.execute(update(jobs).where(jobs.c.id == job.id).values(status="running", attempts=job.attempts + 1))
    return job


def finish(connection: Connection, job_id: int) -> None:
    connection.execute(update(jobs).where(jobs.c.id == job_id).values(status="done", last_error=None))


def retry_later(connection: Connection, job: Row, error: str) -> None:
    """Back off 1, 2, 4 … s; after MAX_ATTEMPTS the job is marked failed and left for a person."""
    failed = job.attempts + 1 >= MAX_ATTEMPTS
    connection.execute(
        update(jobs)
        .where(jobs.c.id == job.id)
        .values(
            status="failed" if failed else "queued", last_error=error[:2000], run_after=now() + timedelta(seconds=2**job.attempts)
        )
    )
