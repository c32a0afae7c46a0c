"""The dataset version: one number in the database, bumped by every change to the data.

Caches and ETags key on it; every process and host sharing the database reads the same value.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from app.models import DatasetState


def read_version(engine: Engine) -> int:
    """The current version, 0 before anything was loaded."""
    try:
        with engine.connect() as connection:
            value = connection.execute(
                select(col(DatasetState.version)).where(col(DatasetState.id) == 1)
            ).scalar()
    except SQLAlchemyError:
        return 0  # not migrated yet: nothing to cache against; /readyz says why
    return int(value or 0)


def bump_version(session: Session, now: dt.datetime, *, seeded: bool | None = None) -> int:
    """Record a change in the caller's transaction; return the new version."""
    state = session.get(DatasetState, 1, with_for_update=True) or DatasetState(id=1)
    state.version += 1
    state.updated_at = now
    if seeded is not None:
        state.seeded = seeded
    session.add(state)
    session.flush()
    return state.version
