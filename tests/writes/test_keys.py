"""API keys: reads stay public; writes need an editor key; 401 and 403 are problem+json."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import ApiKey, Role
from app.writes import keys as auth
from app.writes.keys import find_key, revoke_key
from tests.curation import assert_problem

MakeKey = Callable[[str, Role], dict[str, str]]
NEW_SOURCE = {"slug": "new-source", "title": "A new source", "kind": "web-page"}


def test_read_therapy_needs_no_key(client: TestClient) -> None:
    response = client.get("/v1/therapies/prolotherapy")
    assert response.status_code == 200
    assert "www-authenticate" not in response.headers


def test_create_source_without_key_is_401_with_challenge(client: TestClient) -> None:
    response = client.post("/v1/sources", json=NEW_SOURCE)
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer realm="knowledge base"'
    assert "Authorization: Bearer" in body["detail"]
    assert client.get("/v1/sources/new-source").status_code == 404


def test_create_source_with_wrong_key_is_401(client: TestClient, editor: dict[str, str]) -> None:
    wrong = editor["Authorization"][:-4] + "AAAA"
    for header in (wrong, "Bearer kb_00000000_nothing", "Bearer not-a-key", "Basic dXNlcjpwdw=="):
        response = client.post("/v1/sources", json=NEW_SOURCE, headers={"Authorization": header})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer"), header
    assert client.get("/v1/sources/new-source").status_code == 404


def test_create_source_with_revoked_key_is_403(
    client: TestClient, editor: dict[str, str], engine: Engine
) -> None:
    with Session(engine) as session:
        revoke_key(session, "editor")
    response = client.post("/v1/sources", json=NEW_SOURCE, headers=editor)
    body = assert_problem(response, 403)
    assert "revoked" in body["detail"]
    assert client.get("/v1/sources/new-source").status_code == 404


def test_create_source_with_reader_key_is_403(client: TestClient, make_key: MakeKey) -> None:
    reader = make_key("viewer", Role.reader)
    response = client.post("/v1/sources", json=NEW_SOURCE, headers=reader)
    body = assert_problem(response, 403)
    assert "reader" in body["detail"] and "editor" in body["detail"]
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert client.get("/v1/sources/new-source").status_code == 404


@pytest.mark.parametrize("role", [Role.editor, Role.admin])
def test_create_source_with_editor_or_admin_key_is_201(
    client: TestClient, make_key: MakeKey, role: Role
) -> None:
    response = client.post("/v1/sources", json=NEW_SOURCE, headers=make_key("someone", role))
    assert response.status_code == 201, response.text
    assert response.json()["slug"] == "new-source"


def test_update_therapy_without_key_is_401_before_validation(client: TestClient) -> None:
    response = client.patch("/v1/therapies/prolotherapy", json={"name": ""})
    assert_problem(response, 401)
    response = client.delete("/v1/therapies/prolotherapy/facts/1")
    assert_problem(response, 401)


@pytest.mark.parametrize("path", ["/v1/audit", "/v1/export"])
def test_read_curation_needs_editor_key(
    client: TestClient, make_key: MakeKey, editor: dict[str, str], path: str
) -> None:
    assert_problem(client.get(path), 401)
    assert_problem(client.get(path, headers=make_key("viewer", Role.reader)), 403)
    response = client.get(path, headers=editor)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_find_key_stores_only_a_hash_and_compares_in_constant_time(
    engine: Engine, editor: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = editor["Authorization"].removeprefix("Bearer ")
    with Session(engine) as session:
        row = session.exec(select(ApiKey)).one()
        assert row.secret_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in (row.name, row.prefix, row.secret_hash)
        assert key.startswith(f"kb_{row.prefix}_")
        compared: list[tuple[str, str]] = []

        def spy(a: str, b: str) -> bool:
            compared.append((a, b))
            return a == b

        monkeypatch.setattr("app.writes.keys.hmac.compare_digest", spy)
        assert find_key(session, key) == row
        assert find_key(session, key + "x") is None
    assert compared == [
        (row.secret_hash, row.secret_hash),
        (row.secret_hash, auth.hash_key(key + "x")),
    ]


def test_revoke_key_takes_effect_on_the_next_request(
    client: TestClient, editor: dict[str, str], engine: Engine
) -> None:
    first = client.post("/v1/sources", json=NEW_SOURCE, headers=editor)
    assert first.status_code == 201
    with Session(engine) as session:
        revoke_key(session, "editor")
    etag = first.headers["etag"]
    response = client.patch(
        "/v1/sources/new-source", json={"title": "Changed"}, headers=editor | {"If-Match": etag}
    )
    assert_problem(response, 403)
    assert client.get("/v1/sources/new-source").json()["title"] == "A new source"
