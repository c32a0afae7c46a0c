"""`kb keys create | list | revoke`: the secret is shown once and stored only as a hash."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import ApiKey
from tests.curation import assert_problem, kb

NEW_SOURCE = {"slug": "new-source", "title": "A new source", "kind": "web-page"}


def test_keys_create_prints_the_key_once_and_stores_its_hash(
    database_url: str, engine: Engine
) -> None:
    result = kb(database_url, "keys", "create", "--name", "alice", "--role", "editor")
    assert result.exit_code == 0, result.output
    [key] = result.stdout.splitlines()
    assert key.startswith("kb_") and len(key) > 40
    assert "cannot be shown again" in result.stderr
    with Session(engine) as session:
        row = session.exec(select(ApiKey)).one()
    assert (row.name, row.role, row.revoked_at) == ("alice", "editor", None)
    assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
    listed = kb(database_url, "keys", "list")
    assert key not in listed.output and row.secret_hash not in listed.output


def test_keys_create_key_authorizes_writes(client: TestClient, database_url: str) -> None:
    key = kb(database_url, "keys", "create", "--name", "alice", "--role", "admin").stdout.strip()
    response = client.post(
        "/v1/sources", json=NEW_SOURCE, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 201, response.text
    audit = client.get("/v1/audit", headers={"Authorization": f"Bearer {key}"}).json()
    assert audit["items"][0]["key_name"] == "alice"


def test_keys_create_refuses_taken_name_bad_name_and_bad_role(database_url: str) -> None:
    assert kb(database_url, "keys", "create", "--name", "alice", "--role", "editor").exit_code == 0
    taken = kb(database_url, "keys", "create", "--name", "alice", "--role", "admin")
    assert taken.exit_code == 1
    assert "A key named 'alice' already exists." in taken.stderr
    bad_name = kb(database_url, "keys", "create", "--name", "al ice", "--role", "editor")
    assert bad_name.exit_code == 1 and "invalid name" in bad_name.stderr
    bad_role = kb(database_url, "keys", "create", "--name", "bob", "--role", "owner")
    assert bad_role.exit_code == 2
    no_role = kb(database_url, "keys", "create", "--name", "bob")
    assert no_role.exit_code == 2
    assert [
        line.split("\t")[0] for line in kb(database_url, "keys", "list").stdout.splitlines()
    ] == ["alice"]


def test_keys_list_shows_name_role_prefix_and_state(database_url: str, engine: Engine) -> None:
    for name, role in (("zoe", "reader"), ("alice", "editor")):
        assert kb(database_url, "keys", "create", "--name", name, "--role", role).exit_code == 0
    assert kb(database_url, "keys", "revoke", "zoe").exit_code == 0
    with Session(engine) as session:
        prefixes = {row.name: row.prefix for row in session.exec(select(ApiKey)).all()}
    rows = [line.split("\t") for line in kb(database_url, "keys", "list").stdout.splitlines()]
    assert [row[:3] for row in rows] == [
        ["alice", "editor", f"kb_{prefixes['alice']}_…"],
        ["zoe", "reader", f"kb_{prefixes['zoe']}_…"],
    ]
    assert rows[0][4] == "active" and rows[1][4].startswith("revoked 20")


def test_keys_revoke_makes_the_key_forbidden(client: TestClient, database_url: str) -> None:
    key = kb(database_url, "keys", "create", "--name", "alice", "--role", "editor").stdout.strip()
    headers = {"Authorization": f"Bearer {key}"}
    revoked = kb(database_url, "keys", "revoke", "alice")
    assert revoked.exit_code == 0 and revoked.stdout.strip() == "revoked key 'alice'"
    assert_problem(client.post("/v1/sources", json=NEW_SOURCE, headers=headers), 403)
    unknown = kb(database_url, "keys", "revoke", "nobody")
    assert unknown.exit_code == 1 and "No key named 'nobody'." in unknown.stderr
