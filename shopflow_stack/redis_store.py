"""Redis for the local stack, when REDIS_URL is set: customer sessions and a small cache.

Every key starts with `shopflow:<stack name>:` so stacks sharing one Redis (the harness's
own tests run several) never see each other's keys, and `reset` flushes only its own.
"""

from __future__ import annotations

import json
from typing import Any

import redis


class RedisStore:
    def __init__(self, url: str, stack_name: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3, decode_responses=True)
        self.prefix = f"shopflow:{stack_name}:"

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def ping(self) -> None:
        self.client.ping()

    def get_json(self, *parts: str) -> Any:
        raw: Any = self.client.get(self.key(*parts))  # the sync client's answer (its stubs also allow async)
        return None if raw is None else json.loads(raw)

    def set_json(self, value: Any, *parts: str, ttl_s: int) -> None:
        self.client.set(self.key(*parts), json.dumps(value), ex=ttl_s)

    def delete(self, *parts: str) -> None:
        self.client.delete(self.key(*parts))

    def flush(self) -> int:
        """Delete every key of this stack; the number deleted."""
        deleted = 0
        for key in self.client.scan_iter(match=self.prefix + "*", count=500):
            count: Any = self.client.delete(key)
            deleted += int(count)
        return deleted
