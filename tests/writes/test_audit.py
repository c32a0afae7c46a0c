"""The audit trail: one entry per write, in the write's transaction; read at /v1/audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import RecordType, Role
from app.writes import service as writes
from tests.curation import assert_problem, invalid_names, new_record

Headers = dict[str, str]


def entries(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/audit", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def test_create_record_appends_entry_with_after(client: TestClient, editor: Headers) -> None:
    path, body = new_record(RecordType.source)
    created = client.post(path, json=body, headers=editor)
    assert created.status_code == 201
    [entry] = entries(client, editor, record_type="source", record="new-source")
    assert entry["key_name"] == "editor"
    assert entry["action"] == "create"
    assert entry["before"] is None
    assert entry["after"] == body | {"authors": [], "reviewed_on": today()}
    assert entry["dataset_version"] == client.get("/v1/meta").json()["dataset_version"]
    at = dt.datetime.fromisoformat(entry["at"])
    assert abs(dt.datetime.now(dt.UTC) - at) < dt.timedelta(minutes=1)


def test_update_replace_delete_append_entries_with_before_and_after(
    client: TestClient, editor: Headers
) -> None:
    path = "/v1/therapies/perineural-injection-therapy/side-effect-reports/1"
    etag = client.get(path).headers["etag"]
    patched = client.patch(path, json={"frequency": "rare"}, headers=editor | {"If-Match": etag})
    body = {"side_effect": "bruising", "source": "clinic-page", "frequency": "common"}
    replaced = client.put(path, json=body, headers=editor | {"If-Match": patched.headers["etag"]})
    deleted = client.delete(path, headers=editor | {"If-Match": replaced.headers["etag"]})
    assert (patched.status_code, replaced.status_code, deleted.status_code) == (200, 200, 204)

    found = entries(client, editor, record_type="side-effect-report", record="1")
    assert [entry["action"] for entry in found] == ["delete", "replace", "update"]
    delete, replace, update = found
    original = {
        "therapy": "perineural-injection-therapy",
        "side_effect": "bruising",
        "source": "clinic-page",
        "frequency": "uncommon",
    }
    assert update["before"] == original
    # Each write that changes the report re-dates its review: today.
    assert update["after"] == original | {"frequency": "rare", "reviewed_on": today()}
    assert replace["before"] == update["after"]
    assert replace["after"] == original | {"frequency": "common", "reviewed_on": today()}
    assert delete["before"] == replace["after"] and delete["after"] is None
    versions = [entry["dataset_version"] for entry in found]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == 3


def test_delete_therapy_entry_keeps_its_links(client: TestClient, editor: Headers) -> None:
    path, body = new_record(RecordType.therapy)
    created = client.post(path, json=body, headers=editor)
    fact = {"topic": "history", "statement": "Old.", "attribution": "proponent"}
    client.post(
        "/v1/therapies/new-therapy/facts", json=fact | {"source": "clinic-page"}, headers=editor
    )
    etag = client.get("/v1/therapies/new-therapy").headers["etag"]
    assert etag.endswith('/v1"') and created.status_code == 201
    client.delete("/v1/therapies/new-therapy", headers=editor | {"If-Match": etag})
    [entry] = entries(client, editor, record_type="therapy", action="delete")
    assert entry["before"]["slug"] == "new-therapy"
    assert [
        {key: value for key, value in item.items() if key != "id"}
        for item in entry["before"]["facts"]
    ] == [fact | {"source": "clinic-page", "verified": False, "reviewed_on": today()}]


def test_failed_write_appends_no_entry(client: TestClient, editor: Headers) -> None:
    path, body = new_record(RecordType.condition)
    body["slug"] = "knee-osteoarthritis"
    assert_problem(client.post(path, json=body, headers=editor), 409)
    stale = {"If-Match": '"therapy/prolotherapy/v0"'}
    assert_problem(
        client.patch("/v1/therapies/prolotherapy", json={"name": "X"}, headers=editor | stale),
        412,
    )
    assert entries(client, editor) == []


def test_write_and_its_entry_share_one_transaction(
    client: TestClient, editor: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit table is full")

    monkeypatch.setattr(writes, "append_entry", broken)
    path, body = new_record(RecordType.side_effect)
    with TestClient(client.app, raise_server_exceptions=False) as failing:
        assert failing.post(path, json=body, headers=editor).status_code == 500
    monkeypatch.undo()
    assert_problem(client.get("/v1/side-effects/flare"), 404)
    assert entries(client, editor) == []


def test_list_audit_entries_filters_by_key_action_and_time(
    client: TestClient, editor: Headers, make_key: Callable[[str, Role], Headers]
) -> None:
    admin = make_key("admin", Role.admin)
    start = dt.datetime.now(dt.UTC)
    for headers, record_type in ((editor, RecordType.source), (admin, RecordType.side_effect)):
        path, body = new_record(record_type)
        assert client.post(path, json=body, headers=headers).status_code == 201
    middle = dt.datetime.fromisoformat(entries(client, editor, key_name="admin")[0]["at"])

    assert [e["record"] for e in entries(client, editor)] == ["flare", "new-source"]
    assert [e["record"] for e in entries(client, admin, key_name="editor")] == ["new-source"]
    assert [e["record"] for e in entries(client, editor, since=middle.isoformat())] == ["flare"]
    assert [e["record"] for e in entries(client, editor, until=middle.isoformat())] == [
        "new-source"
    ]
    assert entries(client, editor, until=start.isoformat()) == []
    assert entries(client, editor, action="delete") == []
    page = client.get("/v1/audit", params={"limit": 1}, headers=editor).json()
    assert (page["total"], len(page["items"]), page["items"][0]["record"]) == (2, 1, "flare")


def test_list_audit_entries_refuses_naive_times_and_unknown_filters(
    client: TestClient, editor: Headers
) -> None:
    response = client.get("/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=editor)
    assert invalid_names(response) == ["since"]
    response = client.get("/v1/audit", params={"record_type": "gadget"}, headers=editor)
    assert invalid_names(response) == ["record_type"]
    response = client.get("/v1/audit", params={"who": "me"}, headers=editor)
    assert invalid_names(response) == ["who"]
