"""A fresh, migrated database for every test, on SQLite or (with TEST_DATABASE_URL) PostgreSQL.

SQLite: the schema is migrated once into a template file, and each test gets its own copy.
PostgreSQL: a database of its own is created and migrated once per run, each test starts from
empty tables (TRUNCATE), and the database is dropped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.models import ApiKeyCreate, Role
from app.store.engine import make_engine, migrate, schema_heads
from app.writes.keys import create_key
from app.writes.seed import load_document, validate_document
from tests.factories import seed_document

SEED_FILE = PROJECT_ROOT / "data" / "seed.json"
SYSTEM_TESTS = Path(__file__).resolve().parent / "system"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/system (load, schemathesis, browser, subprocesses) is `slow`:
    `make test-quick` leaves it out, `make test` runs it."""
    for item in items:
        if SYSTEM_TESTS in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.slow)


POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def _postgres_admin(url: str) -> Engine:
    return make_engine(url).execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a migrated, empty database (SQLite: a file to copy; PostgreSQL: a database)."""
    if POSTGRES_URL:
        name = f"kb_test_{uuid.uuid4().hex[:12]}"
        admin = _postgres_admin(POSTGRES_URL)
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        migrate(engine)
        engine.dispose()
        yield str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    if POSTGRES_URL:
        engine = make_engine(database_template)
        tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            connection.execute(text("DELETE FROM alembic_version"))
            for head in sorted(schema_heads(engine)):
                connection.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                    {"head": head},
                )
        engine.dispose()
        yield database_template
    else:
        path = tmp_path / "kb.sqlite3"
        shutil.copyfile(database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def make_client(settings: Settings, engine: Engine) -> Iterator[Callable[[], TestClient]]:
    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(create_app(settings, engine=engine))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def load(engine: Engine) -> Callable[[dict[str, Any]], None]:
    """Load a seed document (a dict) into the test's database."""

    def load_raw(raw: dict[str, Any]) -> None:
        load_document(engine, validate_document(raw))

    return load_raw


@pytest.fixture
def empty_client(make_client: Callable[[], TestClient]) -> TestClient:
    """A client on a migrated database with nothing loaded."""
    return make_client()


@pytest.fixture
def client(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> TestClient:
    """A client on the small test document of tests/factories.py."""
    load(seed_document())
    return make_client()


@pytest.fixture
def seeded_client(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> TestClient:
    """A client on the curated knowledge base, data/seed.json."""
    load(json.loads(SEED_FILE.read_text(encoding="utf-8")))
    return make_client()


@pytest.fixture
def make_key(engine: Engine) -> Callable[[str, Role], dict[str, str]]:
    """Create an API key in the test's database; return its Authorization header."""

    def make(name: str, role: Role) -> dict[str, str]:
        with Session(engine) as session:
            _, key = create_key(session, ApiKeyCreate(name=name, role=role))
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def editor(make_key: Callable[[str, Role], dict[str, str]]) -> dict[str, str]:
    """The Authorization header of an editor key named 'editor'."""
    return make_key("editor", Role.editor)
