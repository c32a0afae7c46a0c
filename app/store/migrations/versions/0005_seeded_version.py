"""seeded version: the dataset version the last `kb seed` produced

`kb seed` compares it with the audit trail to find writes made since the last seed (through
the API or `kb import`), which a changed seed file would otherwise revert without a word.
An existing database gets the newest version that no audited write produced: the last seed's,
or the one before the writes that followed it. Written by hand.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seeded_version", sa.Integer(), nullable=True))
    connection = op.get_bind()
    state = connection.execute(
        sa.text("SELECT version, seeded FROM dataset_state WHERE id = 1")
    ).first()
    if state is None or not state.seeded:
        return
    audited = set(
        connection.execute(sa.text("SELECT dataset_version FROM audit_entries")).scalars()
    )
    version = state.version
    while version > 0 and version in audited:
        version -= 1
    connection.execute(
        sa.text("UPDATE dataset_state SET seeded_version = :version WHERE id = 1"),
        {"version": version},
    )


def downgrade() -> None:
    with op.batch_alter_table("dataset_state", schema=None) as batch_op:
        batch_op.drop_column("seeded_version")
