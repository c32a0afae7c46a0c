"""A server app on the test's database with short, bounded waits, and ways to break it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.main import create_app
from app.store.engine import is_sqlite, make_engine, migrate
from app.writes.seed import load_document, validate_document
from tests.factories import seed_document

LOCK_TIMEOUT = 0.3
"""Seconds the server waits for a lock in these tests (DB_LOCK_TIMEOUT)."""


@pytest.fixture
def fault_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, db_lock_timeout=LOCK_TIMEOUT)


@pytest.fixture
def make_server(
    load: Callable[[dict[str, Any]], None],
) -> Iterator[Callable[[Settings], TestClient]]:
    """A client on an app that builds its own engine, as `kb serve` does (create_app without
    an engine): the test document loaded first."""
    load(seed_document())
    clients: list[TestClient] = []

    def make(settings: Settings) -> TestClient:
        client = TestClient(create_app(settings, openapi_examples=False))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def server(make_server: Callable[[Settings], TestClient], fault_settings: Settings) -> TestClient:
    return make_server(fault_settings)


@pytest.fixture
def load_file() -> Callable[[Path], None]:
    """Make a SQLite file at a path and load the test document into it, as `kb seed` does."""

    def load(path: Path) -> None:
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        load_document(engine, validate_document(seed_document()))
        engine.dispose()

    return load


@contextmanager
def writers_lock(engine: Engine) -> Iterator[None]:
    """Hold the writers' lock (the dataset_state row; on SQLite the database's write lock), as
    a long `kb import` does."""
    with engine.connect() as connection:
        connection.execute(text("UPDATE dataset_state SET version = version WHERE id = 1"))
        try:
            yield
        finally:
            connection.rollback()


@contextmanager
def read_only(server_engine: Engine, database_url: str) -> Iterator[None]:
    """Make the database refuse writes for the server, then take writes again. SQLite: every
    connection the server opens meanwhile is `query_only` (refused as SQLITE_READONLY, as a
    read-only file is; such connections stay so after the fault, as a read-only open does).
    PostgreSQL: `default_transaction_read_only` for the database (new sessions)."""
    if is_sqlite(server_engine):
        state = {"on": True}

        def query_only(dbapi_connection: Any, _record: Any) -> None:
            if state["on"]:
                dbapi_connection.execute("PRAGMA query_only=ON")

        event.listen(server_engine, "connect", query_only)
        server_engine.dispose()
        try:
            yield
        finally:
            state["on"] = False  # the read-only connections stay in the pool: no dispose
        return
    name = make_url(database_url).database
    admin = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    server_engine.dispose()
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text("SET default_transaction_read_only = off"))
            connection.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
        admin.dispose()
