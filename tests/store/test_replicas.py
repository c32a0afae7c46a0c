"""The read replicas' rotation and settings, without a replica server: real engines stand in
(the PostgreSQL primary and replica run in tests/system/test_replicas.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, text

from app.config import Settings
from app.store.engine import make_engine
from app.store.replicas import ReadReplicas, replica_name

PRIMARY = "postgresql+psycopg://kb:secret@primary.example:5432/kb"


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[list[Engine]]:
    """Three SQLite files, each saying which it is: a primary and two replicas."""
    engines = []
    for name in ("primary", "first", "second"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.sqlite3")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE which (name TEXT)"))
            connection.execute(text("INSERT INTO which VALUES (:name)"), {"name": name})
        engines.append(engine)
    yield engines
    for engine in engines:
        engine.dispose()


def _which(connection: Connection) -> str:
    return str(connection.execute(text("SELECT name FROM which")).scalar_one())


def _replicas(engines: list[Engine], *versions: int) -> ReadReplicas:
    primary, *others = engines
    replicas = ReadReplicas(primary, [(f"r{i}", e) for i, e in enumerate(others)], max_lag=5)
    for replica, version in zip(replicas.replicas, versions, strict=True):
        replica.version, replica.problem = version, None
    replicas._rebuild()
    return replicas


def test_read_goes_only_to_replicas_that_have_replayed_its_version(
    databases: list[Engine],
) -> None:
    replicas = _replicas(databases, 7, 9)

    at_eight = {replicas.run(8, _which, ()) for _ in range(4)}
    at_seven = {replicas.run(7, _which, ()) for _ in range(4)}
    at_ten = {replicas.run(10, _which, ()) for _ in range(4)}

    assert at_eight == {"second"}
    assert at_seven == {"first", "second"}  # taking turns
    assert at_ten == {"primary"}
    assert replicas.run(None, _which, ()) == "primary"  # must see the latest commit


def test_read_that_fails_on_a_replica_runs_on_the_primary_and_the_replica_leaves(
    databases: list[Engine], tmp_path: Path
) -> None:
    gone = make_engine(f"sqlite:///{tmp_path / 'missing.sqlite3'}", create=False)
    replicas = ReadReplicas(databases[0], [("gone", gone)], max_lag=5)
    replicas.replicas[0].version, replicas.replicas[0].problem = 5, None
    replicas._rebuild()

    assert replicas.run(5, _which, ()) == "primary"

    (status,) = replicas.status()
    assert status["in_rotation"] is False
    assert status["problem"].startswith("a read failed")
    assert replicas.engine_for(5) is databases[0]
    gone.dispose()


def test_replica_name_never_shows_the_password() -> None:
    assert replica_name(PRIMARY) == "primary.example:5432/kb"


def test_settings_refuse_replicas_without_a_postgresql_primary() -> None:
    with pytest.raises(ValidationError, match="DATABASE_READ_URLS needs DATABASE_URL"):
        Settings(database_url="sqlite:///kb.sqlite3", database_read_urls=PRIMARY)


def test_settings_refuse_a_replica_that_is_not_postgresql() -> None:
    with pytest.raises(ValidationError, match="postgresql"):
        Settings(database_url=PRIMARY, database_read_urls=f"{PRIMARY}, sqlite:///x.sqlite3")


def test_settings_split_the_replicas() -> None:
    settings = Settings(database_url=PRIMARY, database_read_urls=f" {PRIMARY} ,{PRIMARY}2,")

    assert settings.read_urls == [PRIMARY, f"{PRIMARY}2"]
