"""The class's own handwriting (issue 27): digits students draw and label on the Draw page, one
row each, as MNIST holds a digit (28x28 bytes), with the label the student meant, the nickname,
when, and optionally the strokes as drawn (a 280x280 greyscale PNG).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "class_digits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("name_key", sa.String(40), nullable=False, index=True),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("pixels", sa.LargeBinary, nullable=False),  # 784 bytes, row by row, 0 black
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("strokes", sa.LargeBinary),  # the canvas as drawn: a PNG, or none
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("class_digits")
