"""The dataset version: one number in the database, bumped by every change to the data.

Caches and ETags key on it; every process and host sharing the database reads the same value.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col

from app.models import DatasetState
from app.store.engine import ping, schema_is_current


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


def begin_write(session: Session) -> None:
    """Take the writers' lock before reading anything a write depends on.

    The lock is the dataset_state row: on PostgreSQL the UPDATE locks the row, on SQLite it
    takes the database's write lock (waiting out `busy_timeout`). Writers therefore run one
    after another, each reading what the one before committed, and the lock is always taken
    first, so two writers can never wait on each other. Every write calls it first: the
    API's (app/writes/service.py), `kb seed` and `kb import`.
    """
    lock = update(DatasetState).where(col(DatasetState.id) == 1)
    if session.exec(lock.values(version=DatasetState.version)).rowcount == 0:
        try:
            with session.begin_nested():
                session.add(DatasetState(id=1))
        except IntegrityError:
            pass  # another writer made it first; the UPDATE below waits for it
        session.exec(lock.values(version=DatasetState.version))


def unready_reason(engine: Engine) -> str | None:
    """Why the data cannot be served yet (`/readyz` answers 503 with it), or None: the
    database answers, its schema is current and a seed was loaded."""
    try:
        ping(engine)
        if not schema_is_current(engine):
            return "The database schema is not current; run `kb seed`."
        with Session(engine) as session:
            state = session.get(DatasetState, 1)
    except SQLAlchemyError:
        return "The database is not reachable."
    if state is None or not state.seeded:
        return "The knowledge base is not loaded; run `kb seed`."
    return None
