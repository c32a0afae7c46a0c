"""The dataset at a glance: its state row and how many records of each type it holds."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from app.models import Condition, DatasetState, Injectate, Outcome, SideEffect, Source, Therapy

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
