"""Look-alike nicknames are one nickname (issue 28): `name_key` becomes the nickname's
confusable skeleton (`lenet.store.lookalike.skeleton`), so "Mаya" with a Cyrillic "а" finds Maya's
runs. Every row's key is computed again from its name.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RUNS = sa.table(
    "runs", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("name_key")
)


def _rekey(key) -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(RUNS.c.id, RUNS.c.name)).all():
        connection.execute(RUNS.update().where(RUNS.c.id == row.id).values(name_key=key(row.name)))


def upgrade() -> None:
    from lenet.store.lookalike import skeleton

    _rekey(lambda name: skeleton(name or "")[:40])


def downgrade() -> None:
    _rekey(lambda name: (name or "").casefold()[:40])
