"""Nicknames found whatever their case, and runs that know who is training them.

`name_key`: the nickname case-folded, indexed: "Alice" finds the runs of "alice". `owner`: the
app server or CLI process that trains a run, so a server that restarts marks the runs it lost
as interrupted. `updated_at`: when the row last changed (curves arrive during a run).
Existing rows are filled in: their key from their name, updated_at from their last time.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("name_key", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("owner", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True)))
    runs = sa.table(
        "runs",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("name_key", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    for row in connection.execute(sa.select(runs.c.id, runs.c.name)).all():
        # casefold, as lenet.store.runs.name_key does (SQL's lower() knows only ASCII in SQLite)
        key = row.name.casefold()
        connection.execute(runs.update().where(runs.c.id == row.id).values(name_key=key))
    connection.execute(
        runs.update().values(updated_at=sa.func.coalesce(runs.c.finished_at, runs.c.created_at))
    )
    op.create_index("ix_runs_name_key", "runs", ["name_key"])
    op.create_index("ix_runs_status", "runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_runs_status", "runs")
    op.drop_index("ix_runs_name_key", "runs")
    with op.batch_alter_table("runs", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("updated_at")
        batch.drop_column("owner")
        batch.drop_column("name_key")
