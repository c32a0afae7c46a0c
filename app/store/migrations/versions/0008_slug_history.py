"""slug history: a renamed record's former slugs, so its old URLs redirect

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 04:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slug_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_type", "slug"),
    )
    op.create_index("ix_slug_aliases_record_id", "slug_aliases", ["record_id"])


def downgrade() -> None:
    op.drop_index("ix_slug_aliases_record_id", table_name="slug_aliases")
    op.drop_table("slug_aliases")
