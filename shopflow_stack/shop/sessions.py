"""Customer tokens: in Redis when configured (sessions expire there), else in the database.

Only a hash of a token is stored, so a database or Redis dump holds no usable token.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, insert, select

from shopflow_stack.db import Database
from shopflow_stack.redis_store import RedisStore
from shopflow_stack.shop.clock import now
from shopflow_stack.tables import customers, sessions

TOKEN_PREFIX = "cus_"
SESSION_TTL_S = 7 * 24 * 3600


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, db: Database, redis: RedisStore | None) -> None:
        self.db = db
        self.redis = redis

    def issue(self, customer_id: int) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(24)
        if self.redis is not None:
            self.redis.set_json(customer_id, "session", _hash(token), ttl_s=SESSION_TTL_S)
        else:
            with self.db.write() as connection:
                connection.execute(insert(sessions).values(token_hash=_hash(token), customer_id=customer_id, created_at=now()))
        return token

    def customer_id(self, token: str) -> int | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        if self.redis is not None:
            found = self.redis.get_json("session", _hash(token))
            if found is None:
                return None
            with self.db.read() as connection:  # a deleted customer's token dies with them
                return connection.execute(select(customers.c.id).where(customers.c.id == int(found))).scalar()
        with self.db.read() as connection:
            return connection.execute(select(sessions.c.customer_id).where(sessions.c.token_hash == _hash(token))).scalar()

    def revoke_all(self) -> None:
        """Sign everyone out (reset)."""
        if self.redis is None:
            with self.db.write() as connection:
                connection.execute(delete(sessions))
