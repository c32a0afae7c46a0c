"""list orders: an index for each list's default order

The lists of therapies, conditions, injectates and side effects are ordered by name, then id;
the list of outcomes by evidence rank, then slug. Without an index in that order, every page
sorts every matching row first: at 100,000 records (20,000 conditions), the statement of the
first page of conditions took 3.2 ms; with the index, 65 us, as a page reads its rows in order
and stops at the limit. Written by hand.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_therapies_name_id": ("therapies", ["name", "id"]),
    "ix_conditions_name_id": ("conditions", ["name", "id"]),
    "ix_injectates_name_id": ("injectates", ["name", "id"]),
    "ix_side_effects_name_id": ("side_effects", ["name", "id"]),
    "ix_outcomes_evidence_rank_slug": ("outcomes", ["evidence_rank", "slug"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
