"""kill -9 in the middle of a large load leaves the database exactly at its previous version."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.writes.seed import export_bytes
from bench.generate import generate
from tests.factories import seed_document


def export(engine: Engine) -> bytes:
    with Session(engine) as session:
        return export_bytes(session)


def loading(engine: Engine, database_url: str) -> bool:
    """True once the loader holds an open write transaction with rows in it."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        wal = Path(f"{url.database}-wal")
        return wal.exists() and wal.stat().st_size > 2_000_000
    with engine.connect() as connection:
        busy = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
                "AND now() - xact_start > interval '300 milliseconds'"
            )
        ).scalar()
    return bool(busy)


def test_kill_9_during_seed_leaves_previous_version(
    database_url: str, engine: Engine, load: Callable[[dict[str, Any]], None], tmp_path: Path
) -> None:
    load(seed_document())
    before = export(engine)
    big = tmp_path / "big.json"
    big.write_text(json.dumps(generate(20_000)), encoding="utf-8")

    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "seed", "--quiet", "--file", str(big)],
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not loading(engine, database_url):
        assert process.poll() is None, "the load finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL

    engine.dispose()
    assert export(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    # and the database takes the next load as usual
    load(seed_document())
    assert export(engine) == before
