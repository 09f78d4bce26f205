"""Alembic's environment for the run store: always run by `lenet.store.engine.migrate` on a
connection it has opened (and locked), never from an alembic.ini."""

from alembic import context

from lenet.store.engine import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite changes a table by copying it
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
