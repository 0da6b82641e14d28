"""Schema chores: migrate to the newest revision, or drop everything (for `reset`).

Alembic is configured in code (no alembic.ini to keep in step with the stack's settings).
"""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from shopflow_stack.paths import PACKAGE_ROOT
from shopflow_stack.tables import metadata


def alembic_config(engine_connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(PACKAGE_ROOT / "migrations"))
    if engine_connection is not None:
        config.attributes["connection"] = engine_connection
    return config


def upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def drop_all(engine: Engine) -> None:
    """Every table of the schema and Alembic's version table: `reset` recreates them."""
    with engine.begin() as connection:
        metadata.drop_all(connection)
        if inspect(connection).has_table("alembic_version"):
            connection.exec_driver_sql("DROP TABLE alembic_version")
