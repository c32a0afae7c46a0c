"""`kb seed` and `kb import` refuse to remove more than MAX_DELETION_SHARE (10%) of the
records and links without `--allow-deletions`, listing what would go (issue #28: a document
with empty lists, given to `kb seed`, silently deleted all 388 records)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import AuditEntry
from app.writes.seed import export_bytes, export_raw
from tests.curation import kb
from tests.factories import seed_document

EMPTY: dict[str, list[Any]] = {
    "sources": [],
    "conditions": [],
    "injectates": [],
    "side_effects": [],
    "therapies": [],
    "outcomes": [],
}


def write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def exported(engine: Engine) -> bytes:
    with Session(engine) as session:
        return export_bytes(session)


def audit_entries(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry)).all())


@pytest.fixture
def seeded(tmp_path: Path, database_url: str) -> Path:
    path = write(tmp_path / "seed.json", seed_document())
    assert kb(database_url, "seed", "--quiet", "--file", str(path)).exit_code == 0
    return path


@pytest.mark.parametrize("command", [("seed", "--quiet", "--file"), ("import",)])
def test_kb_load_of_empty_document_is_refused_listing_what_would_go(
    seeded: Path, tmp_path: Path, database_url: str, engine: Engine, command: tuple[str, ...]
) -> None:
    before, entries = exported(engine), len(audit_entries(engine))
    empty = write(tmp_path / "empty.json", EMPTY)
    refused = kb(database_url, *command, str(empty))
    assert refused.exit_code == 2, refused.output
    lines = refused.stderr.splitlines()
    assert "  remove therapy prolotherapy" in lines
    assert "  remove side effect pneumothorax" in lines
    assert "the limit is 10%, MAX_DELETION_SHARE" in lines[-1]
    assert "nothing was written" in lines[-1] and "--allow-deletions" in lines[-1]
    assert exported(engine) == before
    assert len(audit_entries(engine)) == entries

    allowed = kb(database_url, *command, str(empty), "--allow-deletions")
    assert allowed.exit_code == 0, allowed.output
    assert export_raw_of(engine) == EMPTY
    [entry] = audit_entries(engine)[entries:]
    assert entry.key_name == ("kb seed" if command[0] == "seed" else "kb import")
    assert entry.after is not None and entry.after["remove"] > 0 and entry.after["add"] == 0


def export_raw_of(engine: Engine) -> dict[str, Any]:
    with Session(engine) as session:
        return export_raw(session)


def test_kb_import_dry_run_says_it_would_be_refused(
    seeded: Path, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    before = exported(engine)
    refused = kb(database_url, "import", "--dry-run", str(write(tmp_path / "e.json", EMPTY)))
    assert refused.exit_code == 2, refused.output
    assert "kb import --allow-deletions" in refused.stderr
    assert exported(engine) == before


def without_fact() -> dict[str, Any]:
    """The test document less its one fact: one link of some twenty removed."""
    raw = seed_document()
    assert len(raw["therapies"][0]["facts"]) == 1
    raw["therapies"][0]["facts"] = []
    return raw


def test_kb_seed_removing_one_link_is_within_the_share(
    seeded: Path, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    path = write(tmp_path / "fewer.json", without_fact())
    result = kb(database_url, "seed", "--quiet", "--file", str(path))
    assert result.exit_code == 0, result.output
    assert "0 add, 0 change, 1 remove" in result.stdout
    assert export_raw_of(engine)["therapies"][0]["facts"] == []


def test_kb_seed_with_share_zero_refuses_any_removal(
    seeded: Path, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_DELETION_SHARE", "0")
    path = write(tmp_path / "fewer.json", without_fact())
    refused = kb(database_url, "seed", "--quiet", "--file", str(path))
    assert refused.exit_code == 2, refused.output
    assert "  remove fact perineural-injection-therapy / history / clinic-page" in refused.stderr
    assert "the limit is 0%" in refused.stderr
