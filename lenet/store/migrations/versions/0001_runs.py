"""The first run store: one row per run (settings, curves, results) and its weights apart.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("app_settings", sa.JSON),
        sa.Column("curves", sa.JSON, nullable=False),
        sa.Column("test_accuracy", sa.Float),
        sa.Column("per_class", sa.JSON),
        sa.Column("seconds", sa.Float),
        sa.Column("steps", sa.Integer),
        sa.Column("message", sa.Text),
        sqlite_autoincrement=True,  # an id is never given again: "run 12" stays run 12
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_table(
        "run_weights",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("checkpoint", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_weights")
    op.drop_index("ix_runs_created_at", "runs")
    op.drop_table("runs")
