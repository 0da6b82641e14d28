"""The local stack's schema (SQLAlchemy Core). Alembic migrations in shopflow_stack/migrations/ create it.

Money is integer minor units. Every row a test creates carries `test_run` (the
X-ShopFlow-Test-Run tag) so the admin API can count and purge one run's data.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _tag() -> Column:
    return Column("test_run", String(100), nullable=True, index=True)


def _created() -> Column:
    return Column("created_at", DateTime(timezone=True), nullable=False)


categories = Table(
    "categories",
    metadata,
    Column("slug", String(60), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("position", Integer, nullable=False, default=0),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("category", String(60), ForeignKey("categories.slug"), nullable=False, index=True),
    Column("price", Integer, nullable=False),
    Column("currency", String(3), nullable=False, default="USD"),
    Column("stock", Integer, nullable=False),
    Column("seed_stock", Integer, nullable=False),  # what `reset` restores
    Column("image_url", String(300), nullable=True),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("seeded", Boolean, nullable=False, default=False),
    _created(),
    _tag(),
)

sessions = Table(  # customer tokens when Redis is not configured (stored hashed)
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True),
    _created(),
)

carts = Table(
    "carts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("shipping_method", String(20), nullable=False, default="standard"),
    Column("closed", Boolean, nullable=False, default=False),
    _created(),
    _tag(),
)

cart_lines = Table(
    "cart_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cart_id", String(40), ForeignKey("carts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    UniqueConstraint("cart_id", "product_id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("status", String(30), nullable=False, index=True),
    Column("email", String(254), nullable=False, index=True),
    Column("customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("cart_id", String(40), nullable=True),
    Column("shipping_method", String(20), nullable=False),
    Column("shipping_address", JSON, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal", Integer, nullable=False),
    Column("shipping", Integer, nullable=False),
    Column("tax", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("paid_amount", Integer, nullable=False, default=0),
    Column("refunded_amount", Integer, nullable=False, default=0),
    Column("seeded", Boolean, nullable=False, default=False),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("fulfilled_at", DateTime(timezone=True), nullable=True),
    _tag(),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("unit_price", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("line_total", Integer, nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("provider_id", String(80), nullable=True, index=True),
    Column("payment_method", String(80), nullable=True),
    Column("status", String(30), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("decline_code", String(60), nullable=True),
    Column("error_code", String(60), nullable=True),
    Column("redirect_url", String(500), nullable=True),
    _created(),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("provider_id", String(80), nullable=True, index=True),
    Column("amount", Integer, nullable=False),
    Column("reason", String(500), nullable=False, default=""),
    Column("status", String(30), nullable=False),
    _created(),
)

emails = Table(  # the mailbox: what the worker "sent"
    "emails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("to", String(254), nullable=False, index=True),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("order_number", String(20), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    _tag(),
)

jobs = Table(  # the worker's queue when Redis is not configured
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("run_after", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    _created(),
    Index("ix_jobs_status_run_after", "status", "run_after"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),  # sha256 of route, token and key
    Column("status_code", Integer, nullable=False),
    Column("body", JSON, nullable=False),
    _created(),
)

webhook_events = Table(  # provider events already handled (webhooks are delivered at least once)
    "webhook_events",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("type", String(80), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

TAGGED_TABLES = (customers, carts, orders, emails)
