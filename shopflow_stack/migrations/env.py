"""Alembic environment of the local stack: runs on the connection shopflow_stack/migrate.py passes in."""

from alembic import context

from shopflow_stack.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
