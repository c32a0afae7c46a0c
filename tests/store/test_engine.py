"""app/store/engine.py: the engine's connection policy, and the migrations it runs."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, text
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table in SQLModel.metadata)
from app.store.engine import alembic_config, make_engine


def test_sqlite_gives_a_connection_without_waiting_however_many_are_open(tmp_path: Path) -> None:
    # Reads run on the event loop (app.db.run_read): a checkout that waited for a free pooled
    # connection would block the loop, and with it the sessions that would free one.
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}", pool_size=2)
    opened: list[Connection] = []

    def open_many() -> None:
        for _ in range(40):
            connection = engine.connect()
            connection.execute(text("SELECT 1"))
            opened.append(connection)

    worker = threading.Thread(target=open_many, daemon=True)
    worker.start()
    worker.join(timeout=10)
    try:
        assert not worker.is_alive(), f"waited for a free connection after {len(opened)}"
        assert len(opened) == 40
    finally:
        for connection in opened:
            connection.close()
        engine.dispose()


def test_migrations_build_the_schema_the_models_describe(engine: Engine) -> None:
    # A table, column or index added to app/models.py needs its migration, and the reverse.
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []


def test_migration_0005_finds_the_last_seed_before_audited_writes(tmp_path: Path) -> None:
    # A database seeded (versions 1-2), then written through the API (3, 4): the last seed's
    # version is 2, so the next changed seed file sees two writes it would revert.
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    command.upgrade(alembic_config(engine), "0004")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO dataset_state (id, version, seeded, updated_at) "
                "VALUES (1, 4, 1, '2026-12-01 00:00:00.000000')"
            )
        )
        for version in (3, 4):
            connection.execute(
                text(
                    "INSERT INTO audit_entries (at, key_name, action, record_type, record, "
                    "dataset_version) VALUES ('2026-12-01 00:00:00.000000', 'editor', "
                    "'update', 'side-effect', 'bruising', :version)"
                ),
                {"version": version},
            )
    command.upgrade(alembic_config(engine), "heads")
    with engine.connect() as connection:
        seeded_version = connection.execute(
            text("SELECT seeded_version FROM dataset_state WHERE id = 1")
        ).scalar()
    engine.dispose()
    assert seeded_version == 2


def test_migration_0006_gives_existing_records_a_review_date_and_honest_vocabularies(
    tmp_path: Path,
) -> None:
    # Rows written before 0006: each gets the date of its last change as its review date, and
    # an outcome gets comparison `none` and direction `unclear` (nothing says otherwise).
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    command.upgrade(alembic_config(engine), "0005")
    stamp = "'2026-11-02 00:00:00.000000', '2026-11-03 23:59:59.000000'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sources (id, slug, title, kind, authors, version, created_at, "
                f"updated_at) VALUES (1, 'a-source', 'A source', 'book', '[]', 1, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO therapies (id, slug, name, aliases, summary, version, created_at, "
                f"updated_at) VALUES (1, 'a-therapy', 'A therapy', '[]', 'Summary.', 1, {stamp})"
            )
        )
        connection.execute(
            text(
                "INSERT INTO outcomes (slug, measure, finding, evidence_level, evidence_rank, "
                "therapy_id, source_id, version, created_at, updated_at) VALUES ('an-outcome', "
                f"'pain', 'Less pain.', 'rct', 1, 1, 1, 1, {stamp})"
            )
        )
    command.upgrade(alembic_config(engine), "heads")
    with engine.connect() as connection:
        outcome = connection.execute(
            text("SELECT comparison, direction, certainty, reviewed_on FROM outcomes")
        ).one()
        source = connection.execute(
            text("SELECT reviewed_on, conflicts_of_interest FROM sources")
        ).one()
    engine.dispose()
    assert tuple(outcome) == ("none", "unclear", None, "2026-11-03")
    assert tuple(source) == ("2026-11-03", None)
