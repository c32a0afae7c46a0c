"""The dataset at a glance: its state row and how many records of each type it holds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from app.models import (
    Condition,
    DatasetState,
    Fact,
    Indication,
    Injectate,
    InjectateUse,
    Outcome,
    SideEffect,
    SideEffectReport,
    Source,
    Therapy,
)

COUNTED: dict[str, type[SQLModel]] = {
    "therapies": Therapy,
    "conditions": Condition,
    "injectates": Injectate,
    "side_effects": SideEffect,
    "outcomes": Outcome,
    "sources": Source,
}


def dataset_state(session: Session) -> DatasetState | None:
    return session.get(DatasetState, 1)


def record_counts(session: Session) -> dict[str, int]:
    """How many records of each type (keys as RecordCounts names them)."""
    return {
        name: session.exec(select(func.count()).select_from(table)).one()
        for name, table in COUNTED.items()
    }


REVIEWED: tuple[type[SQLModel], ...] = (
    *COUNTED.values(),
    Indication,
    InjectateUse,
    SideEffectReport,
    Fact,
)
"""Every table whose rows carry `reviewed_on`: the records and the therapies' links."""


def review_dates(session: Session) -> tuple[dt.date | None, int]:
    """The oldest review date of any record or link, and how many were never reviewed."""
    oldest: dt.date | None = None
    never = 0
    for table in REVIEWED:
        column = table.reviewed_on  # type: ignore[attr-defined]
        low, missing = session.exec(
            select(func.min(column), func.count().filter(column.is_(None)))
        ).one()
        if low is not None and (oldest is None or low < oldest):
            oldest = low
        never += missing
    return oldest, never
