"""A run's minibatch curve (issue 24): the loss and learning rate of up to 1,000 of its
minibatches as one JSON value, written when the run ends, so a stored run's timeline draws the
same charts as a live one. Runs from before have none. A table of its own, like the weights:
lists of runs never read it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_batch_curves",
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("points", sa.JSON, nullable=False),  # lenet.training.batch_curve.to_json
    )


def downgrade() -> None:
    op.drop_table("run_batch_curves")
