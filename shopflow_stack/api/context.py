"""What every API request handler shares: settings, database, Redis, sessions, health checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from shopflow_stack.db import Database
from shopflow_stack.redis_store import RedisStore
from shopflow_stack.settings import Settings
from shopflow_stack.shop.provider import PaymentProvider
from shopflow_stack.shop.sessions import Sessions

HealthCheck = Callable[[], str]  # "ok" / "disabled", or raises / returns words naming the problem


@dataclass
class AppContext:
    settings: Settings
    db: Database
    redis: RedisStore | None
    sessions: Sessions
    provider: PaymentProvider
    health_checks: dict[str, HealthCheck] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        db = Database(settings.database_url)
        redis = RedisStore(settings.redis_url, settings.stack_name) if settings.redis_url else None
        return cls(settings, db, redis, Sessions(db, redis), PaymentProvider(settings.payments_url, settings.payments_key))


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def test_run_tag(request: Request) -> str | None:
    """The X-ShopFlow-Test-Run tag of this request (None when untagged)."""
    value = request.headers.get("x-shopflow-test-run", "").strip()
    return value[:100] or None
