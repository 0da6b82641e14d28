"""The worker service: runs queued jobs — confirmation email and fulfilment of paid orders,
refund emails. `python -m shopflow_stack.serve worker` (the runner starts it with the stack).

Polls the `jobs` table (an outbox written with the change that caused each job), so no
broker is needed on the default path. Stops cleanly on SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select, update

from shopflow_stack import heartbeat
from shopflow_stack.db import Database
from shopflow_stack.settings import Settings
from shopflow_stack.shop import jobs, mailbox
from shopflow_stack.shop.clock import now
from shopflow_stack.tables import orders

log = logging.getLogger("shopflow_stack.worker")
POLL_S = 0.2


def order_paid(connection: Connection, payload: dict[str, Any]) -> None:
    """Confirm by email, then fulfil (a paid order ships)."""
    order = connection.execute(select(orders).where(orders.c.id == payload["order_id"])).first()
    if order is None:
        return  # purged by its test run meanwhile
    mailbox.send_once(connection, order, "confirmation", "")
    connection.execute(
        update(orders)
        .where(orders.c.id == order.id, orders.c.status == "paid")
        .values(status="fulfilled", fulfilled_at=now(), updated_at=now())
    )


def refund_issued(connection: Connection, payload: dict[str, Any]) -> None:
    order = connection.execute(select(orders).where(orders.c.id == payload["order_id"])).first()
    if order is not None:
        mailbox.send_once(connection, order, "refund", f"refund {payload['refund_id']}")


HANDLERS: dict[str, Callable[[Connection, dict[str, Any]], None]] = {
    "order_paid": order_paid,
    "refund_issued": refund_issued,
}


def run_one(db: Database) -> bool:
    """Claim and run one due job; False when there was none."""
    with db.write() as connection:
        job = jobs.claim(connection, postgres=db.backend == "postgresql")
    if job is None:
        return False
    try:
        with db.write() as connection:
            HANDLERS[job.kind](connection, job.payload)
            jobs.finish(connection, job.id)
        log.info("job %s %s done (order %s)", job.id, job.kind, job.payload.get("order_id"))
    except Exception as error:  # a failing job is retried later, never kills the worker
        log.exception("job %s %s failed", job.id, job.kind)
        with db.write() as connection:
            jobs.retry_later(connection, job, f"{type(error).__name__}: {error}")
    return True


def run(settings: Settings) -> int:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    db = Database(settings.database_url)
    stalled = "worker_stalled" in settings.faults
    log.info("worker started (database: %s%s)", db.backend, "; STALLED by fault" if stalled else "")
    try:
        while not stop.is_set():
            heartbeat.beat(settings.stack_dir)
            if stalled or not run_one(db):
                stop.wait(POLL_S)
    finally:
        db.dispose()
    log.info("worker stopped")
    return 0
