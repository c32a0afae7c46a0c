"""GET /v1/export and `kb import`: the dataset out and back in, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import AuditEntry
from app.store.version import read_version
from app.writes.seed import export_bytes, validate_document
from tests.curation import kb
from tests.factories import seed_document

Headers = dict[str, str]


def exported(client: TestClient, editor: Headers) -> bytes:
    response = client.get("/v1/export", headers=editor)
    assert response.status_code == 200, response.text
    return response.content


def write(path: Path, document: dict[str, Any] | bytes) -> Path:
    path.write_bytes(document if isinstance(document, bytes) else json.dumps(document).encode())
    return path


def test_read_export_is_the_database_in_seed_format(
    seeded_client: TestClient, editor: Headers, engine: Engine
) -> None:
    response = seeded_client.get("/v1/export", headers=editor)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="kb-export.json"'
    with Session(engine) as session:
        assert response.content == export_bytes(session)
    document = validate_document(response.json())
    assert len(document.therapies) >= 2 and len(document.sources) >= 10


def test_export_import_export_is_byte_identical(
    seeded_client: TestClient, editor: Headers, database_url: str, tmp_path: Path
) -> None:
    original = exported(seeded_client, editor)
    file = write(tmp_path / "kb-export.json", original)
    # Curate: change one record, add one, delete one.
    therapy = json.loads(original)["therapies"][0]["slug"]
    etag = seeded_client.get(f"/v1/therapies/{therapy}").headers["etag"]
    changed = seeded_client.patch(
        f"/v1/therapies/{therapy}", json={"name": "Renamed"}, headers=editor | {"If-Match": etag}
    )
    added = seeded_client.post(
        "/v1/side-effects", json={"slug": "new-effect", "name": "New effect"}, headers=editor
    )
    assert (changed.status_code, added.status_code) == (200, 201)
    assert exported(seeded_client, editor) != original

    result = kb(database_url, "import", str(file))
    assert result.exit_code == 0, result.output
    assert f"change therapy {therapy}" in result.stdout.splitlines()
    assert "remove side effect new-effect" in result.stdout.splitlines()
    assert exported(seeded_client, editor) == original

    # Through an empty database and back.
    empty = write(tmp_path / "empty.json", {})
    assert kb(database_url, "import", str(empty), "--allow-deletions").exit_code == 0
    assert json.loads(exported(seeded_client, editor))["therapies"] == []
    assert kb(database_url, "import", str(file)).exit_code == 0
    assert exported(seeded_client, editor) == original
    again = kb(database_url, "import", str(write(tmp_path / "again.json", original)))
    assert again.stdout.splitlines() == [f"imported {tmp_path / 'again.json'}: no changes"]


def changed_document() -> dict[str, Any]:
    document = seed_document()
    document["therapies"][1]["name"] = "Prolotherapy (dextrose)"
    document["sources"].append({"slug": "review-2020", "title": "A review", "kind": "book"})
    document["outcomes"] = [o for o in document["outcomes"] if o["slug"] != "pit-success-claim"]
    return document


EXPECTED_CHANGES = [
    "add source review-2020",
    "change therapy prolotherapy",
    "remove outcome pit-success-claim",
]


def test_import_dry_run_prints_changes_and_writes_nothing(
    client: TestClient, editor: Headers, database_url: str, tmp_path: Path, engine: Engine
) -> None:
    before = exported(client, editor)
    version = read_version(engine)
    file = write(tmp_path / "changed.json", changed_document())
    result = kb(database_url, "import", "--dry-run", str(file))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert sorted(lines[:-1]) == EXPECTED_CHANGES
    assert lines[-1] == f"dry run of {file}: 1 add, 1 change, 1 remove; nothing was written"
    assert exported(client, editor) == before
    assert read_version(engine) == version
    with Session(engine) as session:
        assert session.exec(select(AuditEntry)).all() == []


def test_import_applies_changes_with_one_audit_entry(
    client: TestClient, editor: Headers, database_url: str, tmp_path: Path, engine: Engine
) -> None:
    version = read_version(engine)
    file = write(tmp_path / "changed.json", changed_document())
    result = kb(database_url, "import", str(file))
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()[:-1]) == EXPECTED_CHANGES
    assert result.stdout.splitlines()[-1] == f"imported {file}: 1 add, 1 change, 1 remove"
    assert client.get("/v1/therapies/prolotherapy").json()["name"] == "Prolotherapy (dextrose)"
    assert client.get("/v1/outcomes/pit-success-claim").status_code == 404
    assert read_version(engine) == version + 1
    [entry] = client.get("/v1/audit", headers=editor).json()["items"]
    assert (entry["key_name"], entry["action"], entry["record_type"], entry["record"]) == (
        "kb import",
        "import",
        "dataset",
        "changed.json",
    )
    assert entry["after"]["add"] == 1 and entry["after"]["remove"] == 1
    assert sorted(entry["after"]["changes"]) == EXPECTED_CHANGES
    assert entry["dataset_version"] == version + 1


def test_import_invalid_file_exits_1_and_writes_nothing(
    client: TestClient, editor: Headers, database_url: str, tmp_path: Path
) -> None:
    before = exported(client, editor)
    document = changed_document()
    document["outcomes"][0]["therapy"] = "no-such-therapy"
    file = write(tmp_path / "bad.json", document)
    result = kb(database_url, "import", str(file))
    assert result.exit_code == 1
    assert f"{file}: outcomes[0].therapy: unknown therapy 'no-such-therapy'" in result.stderr
    assert "nothing was written" in result.stderr
    assert exported(client, editor) == before
