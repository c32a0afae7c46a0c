"""`kb seed` never silently undoes a curator's write: run as `make run` and the container do.

A write through the API (or `kb import`) after the last seed is kept: the same file again is a
no-op, a changed file is refused (exit 2, listing the writes) unless told to keep the database
(`--keep-writes`, exit 0) or to overwrite it (`--overwrite`, with an audit entry).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import AuditEntry, DatasetState
from tests.curation import kb
from tests.factories import seed_document

Headers = dict[str, str]


def seed(path: Path, database_url: str, *flags: str) -> Any:
    return kb(database_url, "seed", "--quiet", "--file", str(path), *flags)


def write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def edit_bruising(client: TestClient, editor: Headers, text: str) -> None:
    etag = client.get("/v1/side-effects/bruising").headers["etag"]
    response = client.patch(
        "/v1/side-effects/bruising",
        json={"description": text},
        headers={**editor, "If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text


def seeded_then_curated_then_changed(
    tmp_path: Path,
    database_url: str,
    make_client: Callable[[], TestClient],
    editor: Headers,
) -> Path:
    """Seed a file, edit a side effect through the API, then change the file elsewhere:
    the everyday case in which a restart's `kb seed` used to revert the edit."""
    path = write(tmp_path / "seed.json", seed_document())
    assert seed(path, database_url).exit_code == 0
    edit_bruising(make_client(), editor, "Curated through the API.")
    changed = seed_document()
    changed["side_effects"][1]["name"] = "Pneumothorax (lung puncture)"
    write(path, changed)
    return path


def bruising(client: TestClient) -> Any:
    return client.get("/v1/side-effects/bruising").json().get("description")


def test_seed_same_file_keeps_an_api_write(
    tmp_path: Path,
    database_url: str,
    make_client: Callable[[], TestClient],
    editor: Headers,
) -> None:
    path = write(tmp_path / "seed.json", seed_document())
    assert seed(path, database_url).exit_code == 0
    client = make_client()
    edit_bruising(client, editor, "Curated through the API.")

    again = seed(path, database_url)

    assert again.exit_code == 0, again.stderr
    assert again.stdout.strip() == f"seeded from {path}: no changes"
    assert "kept 1 write(s) made since" in again.stderr
    assert bruising(make_client()) == "Curated through the API."


def test_seed_changed_file_refuses_to_revert_an_api_write(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    make_client: Callable[[], TestClient],
    editor: Headers,
) -> None:
    path = seeded_then_curated_then_changed(tmp_path, database_url, make_client, editor)

    refused = seed(path, database_url)

    assert refused.exit_code == 2
    assert "editor: update side-effect bruising" in refused.stderr
    assert f"kb export --out {path}" in refused.stderr
    assert "nothing was written" in refused.stderr
    client = make_client()
    assert bruising(client) == "Curated through the API."
    assert client.get("/v1/side-effects/pneumothorax").json()["name"] == "Pneumothorax"
    with Session(engine) as session:
        assert [entry.key_name for entry in session.exec(select(AuditEntry)).all()] == [
            "kb seed",
            "editor",
        ]


def test_seed_keep_writes_serves_the_database_as_it_is(
    tmp_path: Path,
    database_url: str,
    make_client: Callable[[], TestClient],
    editor: Headers,
) -> None:
    path = seeded_then_curated_then_changed(tmp_path, database_url, make_client, editor)

    kept = seed(path, database_url, "--keep-writes")

    assert kept.exit_code == 0, kept.stderr
    assert "it was NOT loaded" in kept.stderr
    assert "editor: update side-effect bruising" in kept.stderr
    client = make_client()
    assert bruising(client) == "Curated through the API."
    assert client.get("/v1/side-effects/pneumothorax").json()["name"] == "Pneumothorax"


def test_seed_overwrite_reverts_with_an_audit_entry(
    tmp_path: Path,
    database_url: str,
    engine: Engine,
    make_client: Callable[[], TestClient],
    editor: Headers,
) -> None:
    path = seeded_then_curated_then_changed(tmp_path, database_url, make_client, editor)

    overwritten = seed(path, database_url, "--overwrite")

    assert overwritten.exit_code == 0, overwritten.stderr
    assert overwritten.stdout.strip() == f"seeded from {path}: 0 add, 2 change, 0 remove"
    client = make_client()
    assert bruising(client) is None
    assert client.get("/v1/side-effects/pneumothorax").json()["name"] == (
        "Pneumothorax (lung puncture)"
    )
    with Session(engine) as session:
        last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
        state = session.get(DatasetState, 1)
    assert last is not None and state is not None
    assert last.key_name == "kb seed"
    assert last.after is not None
    assert last.after["change"] == 2
    assert any("bruising" in line for line in last.after["reverted_writes"])
    assert state.seeded_version == state.version == last.dataset_version

    # Nothing written since this load: the next changed file loads without a flag.
    write(path, seed_document())
    assert seed(path, database_url).exit_code == 0


def test_seed_changed_file_loads_when_nothing_was_written_since(
    tmp_path: Path, database_url: str, make_client: Callable[[], TestClient]
) -> None:
    path = write(tmp_path / "seed.json", seed_document())
    assert seed(path, database_url).exit_code == 0
    changed = seed_document()
    changed["side_effects"][1]["name"] = "Pneumothorax (lung puncture)"
    write(path, changed)

    loaded = seed(path, database_url)

    assert loaded.exit_code == 0, loaded.stderr
    assert loaded.stdout.strip() == f"seeded from {path}: 0 add, 1 change, 0 remove"
    assert make_client().get("/v1/side-effects/pneumothorax").json()["name"] == (
        "Pneumothorax (lung puncture)"
    )


def test_seed_refuses_to_revert_an_import(tmp_path: Path, database_url: str) -> None:
    path = write(tmp_path / "seed.json", seed_document())
    assert seed(path, database_url).exit_code == 0
    imported = seed_document()
    imported["side_effects"][0]["name"] = "Bruising at the site"
    other = write(tmp_path / "curated.json", imported)
    assert kb(database_url, "import", str(other)).exit_code == 0
    changed = seed_document()
    changed["side_effects"][1]["name"] = "Pneumothorax (lung puncture)"
    write(path, changed)

    refused = seed(path, database_url)

    assert refused.exit_code == 2
    assert "kb import: import curated.json (1 change(s))" in refused.stderr


def test_seed_flags_exclude_each_other(tmp_path: Path, database_url: str) -> None:
    path = write(tmp_path / "seed.json", seed_document())
    result = seed(path, database_url, "--overwrite", "--keep-writes")
    assert result.exit_code == 2
    assert "exclude each other" in result.stderr
