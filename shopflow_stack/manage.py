"""Database chores for the local stack, run by the runner before services start.

`python -m shopflow_stack.manage prepare`: migrate to the newest schema, seed when empty.
`python -m shopflow_stack.manage reset`: drop everything, migrate, seed, flush this stack's Redis keys
(the seed document's staging reset procedure, done locally).
"""

from __future__ import annotations

import sys

from sqlalchemy import func, select

from shopflow_stack import migrate
from shopflow_stack.db import Database
from shopflow_stack.redis_store import RedisStore
from shopflow_stack.seed import seed
from shopflow_stack.settings import SettingsError, get_settings
from shopflow_stack.tables import products


def prepare(db: Database) -> None:
    migrate.upgrade(db.engine)
    with db.write() as connection:
        if connection.execute(select(func.count()).select_from(products)).scalar_one() == 0:
            counts = seed(connection)
            print(f"seeded {counts}")


def reset(db: Database, redis_url: str | None, stack_name: str) -> None:
    migrate.drop_all(db.engine)
    prepare(db)
    if redis_url:
        flushed = RedisStore(redis_url, stack_name).flush()
        print(f"flushed {flushed} Redis keys")


def main(argv: list[str]) -> int:
    if argv not in (["prepare"], ["reset"]):
        print("usage: python -m shopflow_stack.manage prepare|reset", file=sys.stderr)
        return 2
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"shopflow_stack.manage: {error}", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        if argv == ["prepare"]:
            prepare(db)
        else:
            reset(db, settings.redis_url, settings.stack_name)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
