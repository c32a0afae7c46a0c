"""The dataset version: one number in the database, bumped by every change to the data.

Caches and ETags key on it; every process and host sharing the database reads the same value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col

from app.errors import ServiceUnavailable
from app.models import DatasetState
from app.store.engine import database_fault, is_writable, ping, schema_is_current


def read_version(engine: Engine) -> int:
    """The current version, 0 before anything was loaded."""
    try:
        with engine.connect() as connection:
            value = connection.execute(
                select(col(DatasetState.version)).where(col(DatasetState.id) == 1)
            ).scalar()
    except (SQLAlchemyError, ServiceUnavailable):
        # Not migrated yet, or the database is down: nothing to cache against; the request
        # itself answers the fault, and /readyz says why.
        return 0
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


@dataclass(frozen=True)
class Readiness:
    """What `/readyz` answers: why the data cannot be served (None when it can), and whether
    the database refuses writes now (it is still ready: reads are served)."""

    unready: str | None
    read_only: bool = False
    problem_type: str | None = None
    """The database fault's problem type, when a fault is why (app/errors.py)."""
    retry_after: int = ServiceUnavailable.retry_after
    """Seconds a load balancer or client may wait before asking again."""


def readiness(engine: Engine) -> Readiness:
    """Ready when the database answers, its schema is current and a seed was loaded."""
    try:
        ping(engine)
        if not schema_is_current(engine):
            return Readiness("The database schema is not current; run `kb seed`.")
        with Session(engine) as session:
            state = session.get(DatasetState, 1)
    except (ServiceUnavailable, SQLAlchemyError) as error:
        fault = database_fault(error)
        if fault is None:
            return Readiness("The database is not reachable.")
        return Readiness(
            fault.detail, problem_type=fault.problem_type, retry_after=fault.retry_after
        )
    if state is None or not state.seeded:
        return Readiness("The knowledge base is not loaded; run `kb seed`.")
    return Readiness(None, read_only=not is_writable(engine))
