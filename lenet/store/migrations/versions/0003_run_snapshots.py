"""A run's training timeline: its weights at chosen steps (issue 13), one row per snapshot, so
the timeline of a run is read one step at a time and a list of runs never reads it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_snapshots",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.Float, nullable=False),
        sa.Column("weights", sa.LargeBinary, nullable=False),  # float32, state_dict order
    )


def downgrade() -> None:
    op.drop_table("run_snapshots")
