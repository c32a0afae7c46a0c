"""evidence weighing: comparison, direction, certainty and conflicts of interest on outcomes,
conflicts of interest on sources, and a review date on every record and link

`comparison` and `direction` are vocabularies stored as text, like the others. An existing
outcome gets `none` and `unclear`: nothing in the row says which comparison its source made,
and guessing would be a claim (a `kb seed` of the curated file then fills them in). Every
record and link gets `reviewed_on`, the date its statement was last checked against its
source: for an existing row, the date of its last change (`updated_at`), the latest date at
which anyone can have checked it. Written by hand.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEWED = (
    "sources",
    "conditions",
    "injectates",
    "side_effects",
    "therapies",
    "outcomes",
    "indications",
    "injectate_uses",
    "side_effect_reports",
    "facts",
)


def upgrade() -> None:
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("comparison", sa.String(length=40), nullable=False, server_default="none")
        )
        batch_op.add_column(
            sa.Column("direction", sa.String(length=40), nullable=False, server_default="unclear")
        )
        batch_op.add_column(sa.Column("certainty", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("certainty_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("conflict_of_interest", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        # The defaults filled the existing rows; new rows get theirs from the models.
        batch_op.alter_column("comparison", server_default=None)
        batch_op.alter_column("direction", server_default=None)
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("conflicts_of_interest", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        day = "CAST(updated_at AT TIME ZONE 'UTC' AS DATE)"
    else:
        day = "date(updated_at)"  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC
    for table in REVIEWED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("reviewed_on", sa.Date(), nullable=True))
        connection.execute(sa.text(f"UPDATE {table} SET reviewed_on = {day}"))


def downgrade() -> None:
    for table in REVIEWED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("reviewed_on")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("conflicts_of_interest")
    with op.batch_alter_table("outcomes", schema=None) as batch_op:
        for column in (
            "conflict_of_interest",
            "certainty_reason",
            "certainty",
            "direction",
            "comparison",
        ):
            batch_op.drop_column(column)
