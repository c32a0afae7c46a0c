"""Writes for every record type and link: POST, PATCH, PUT, DELETE, and every way they fail.

The database holds tests/factories.py's document; `editor` is an editor key's header.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.models import AuditEntry, RecordType
from tests.curation import (
    ALL_TYPES,
    CHANGE,
    LINK_TYPES,
    assert_problem,
    invalid_names,
    new_record,
)

Headers = dict[str, str]
ENTITY_TYPES = [record_type for record_type in ALL_TYPES if record_type not in LINK_TYPES]


def create(client: TestClient, editor: Headers, record_type: RecordType) -> httpx2.Response:
    path, body = new_record(record_type)
    response = client.post(path, json=body, headers=editor)
    assert response.status_code == 201, response.text
    return response


def key_of(record_type: RecordType, body: dict[str, Any]) -> str:
    return str(body["id"]) if record_type in LINK_TYPES else str(body["slug"])


def as_written(read: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The read shape's values of the body's fields, as a write carries them (embedded
    records by slug, nested objects by the keys sent)."""

    def plain(value: Any, sent: Any) -> Any:
        if isinstance(value, dict) and "slug" in value:
            return value["slug"]
        if isinstance(value, dict):
            return {key: plain(value[key], item) for key, item in sent.items()}
        if isinstance(value, list):
            return [plain(item, given) for item, given in zip(value, sent, strict=True)]
        return value

    return {field: plain(read[field], sent) for field, sent in body.items()}


def audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


def dataset_version(client: TestClient) -> int:
    return int(client.get("/v1/meta").json()["dataset_version"])


# --------------------------------------------------------------------------------------------
# Each write, on each type
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record_type", ALL_TYPES)
def test_create_record_is_201_with_location_etag_and_read_shape(
    client: TestClient, editor: Headers, record_type: RecordType
) -> None:
    path, body = new_record(record_type)
    before = dataset_version(client)
    response = client.post(path, json=body, headers=editor)
    assert response.status_code == 201, response.text
    created = response.json()
    key = key_of(record_type, created)
    assert response.headers["location"] == f"http://testserver{path}/{key}"
    assert response.headers["etag"] == f'"{record_type}/{key}/v1"'
    assert created["version"] == 1
    assert as_written(created, body) == body
    read = client.get(response.headers["location"])
    assert read.status_code == 200
    assert read.json() == created
    assert read.headers["etag"].endswith(f';{record_type}/{key}/v1"')
    assert dataset_version(client) == before + 1


@pytest.mark.parametrize("record_type", ALL_TYPES)
def test_update_record_changes_only_the_patched_field(
    client: TestClient, editor: Headers, record_type: RecordType
) -> None:
    created = create(client, editor, record_type)
    location, etag = created.headers["location"], created.headers["etag"]
    field, value = CHANGE[record_type]
    response = client.patch(location, json={field: value}, headers=editor | {"If-Match": etag})
    assert response.status_code == 200, response.text
    key = key_of(record_type, created.json())
    assert response.headers["etag"] == f'"{record_type}/{key}/v2"'
    changed = {field: value, "version": 2}
    if "updated_at" in created.json():
        assert response.json()["updated_at"] > created.json()["updated_at"]
        changed["updated_at"] = response.json()["updated_at"]
    assert response.json() == created.json() | changed
    assert client.get(location).json() == response.json()


@pytest.mark.parametrize("record_type", ALL_TYPES)
def test_replace_record_replaces_every_field(
    client: TestClient, editor: Headers, record_type: RecordType
) -> None:
    created = create(client, editor, record_type)
    _, body = new_record(record_type)
    field, value = CHANGE[record_type]
    dropped = {"source": "year", "condition": "codes", "injectate": "sources"}.get(record_type)
    body[field] = value
    if dropped:
        del body[dropped]
    response = client.put(
        created.headers["location"],
        json=body,
        headers=editor | {"If-Match": created.headers["etag"]},
    )
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced[field] == value and replaced["version"] == 2
    if dropped:
        assert replaced[dropped] in (None, []), dropped


@pytest.mark.parametrize("record_type", ALL_TYPES)
def test_delete_record_is_204_and_the_record_is_gone(
    client: TestClient, editor: Headers, record_type: RecordType
) -> None:
    created = create(client, editor, record_type)
    location = created.headers["location"]
    response = client.delete(location, headers=editor | {"If-Match": created.headers["etag"]})
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(client.get(location), 404)
    assert_problem(client.delete(location, headers=editor | {"If-Match": "*"}), 404)


def test_update_therapy_renames_it_and_keeps_its_links(client: TestClient, editor: Headers) -> None:
    etag = client.get("/v1/therapies/prolotherapy").headers["etag"]
    response = client.patch(
        "/v1/therapies/prolotherapy",
        json={"slug": "dextrose-prolotherapy"},
        headers=editor | {"If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"therapy/dextrose-prolotherapy/v2"'
    # The old URL redirects (tests/routes/test_slug_history.py).
    old = client.get("/v1/therapies/prolotherapy", follow_redirects=False)
    assert old.status_code == 308
    renamed = client.get("/v1/therapies/dextrose-prolotherapy").json()
    assert [i["condition"]["slug"] for i in renamed["indications"]] == ["knee-osteoarthritis"]
    assert [o["slug"] for o in renamed["outcomes"]] == ["trial-2013-womac"]


def test_update_record_that_changes_nothing_keeps_version(
    client: TestClient, editor: Headers, engine: Engine
) -> None:
    read = client.get("/v1/side-effects/bruising")
    before, audited = dataset_version(client), audit_count(engine)
    response = client.patch(
        "/v1/side-effects/bruising",
        json={"name": "Bruising"},
        headers=editor | {"If-Match": read.headers["etag"]},
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"side-effect/bruising/v1"'
    assert response.json()["version"] == 1
    assert (dataset_version(client), audit_count(engine)) == (before, audited)


def test_update_record_with_null_removes_an_optional_field(
    client: TestClient, editor: Headers
) -> None:
    etag = client.get("/v1/sources/trial-2013").headers["etag"]
    response = client.patch(
        "/v1/sources/trial-2013",
        json={"doi": None, "authors": None},
        headers=editor | {"If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert response.json()["doi"] is None and response.json()["authors"] == []
    assert response.json()["pmid"] == "12345678"


def test_update_record_accepts_merge_patch_media_type(client: TestClient, editor: Headers) -> None:
    etag = client.get("/v1/side-effects/bruising").headers["etag"]
    response = client.patch(
        "/v1/side-effects/bruising",
        content=b'{"serious": true}',
        headers=editor | {"If-Match": etag, "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["serious"] is True


def test_delete_therapy_removes_its_links(client: TestClient, editor: Headers) -> None:
    created = create(client, editor, RecordType.therapy)
    fact = client.post(
        "/v1/therapies/new-therapy/facts",
        json={
            "topic": "history",
            "statement": "New.",
            "attribution": "proponent",
            "source": "clinic-page",
        },
        headers=editor,
    )
    assert fact.status_code == 201
    deleted = client.delete(
        "/v1/therapies/new-therapy", headers=editor | {"If-Match": created.headers["etag"]}
    )
    assert deleted.status_code == 204
    assert_problem(client.get(fact.headers["location"]), 404)
    cited = client.get("/v1/sources/clinic-page").json()["cited_by"]
    assert "New." not in [f["statement"] for f in cited["facts"]]


# --------------------------------------------------------------------------------------------
# The seed's validation: references, duplicates, vocabularies, ranges
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("record_type", ENTITY_TYPES)
def test_create_record_with_taken_slug_is_409(
    client: TestClient, editor: Headers, record_type: RecordType
) -> None:
    path, body = new_record(record_type)
    existing = client.get(path).json()["items"][0]["slug"]
    body["slug"] = existing
    body = assert_problem(client.post(path, json=body, headers=editor), 409)
    assert existing in body["detail"]
    assert body["invalid_params"][0]["name"] == "slug"


def test_update_record_to_taken_slug_is_409(client: TestClient, editor: Headers) -> None:
    etag = client.get("/v1/therapies/prolotherapy").headers["etag"]
    response = client.patch(
        "/v1/therapies/prolotherapy",
        json={"slug": "perineural-injection-therapy"},
        headers=editor | {"If-Match": etag},
    )
    assert_problem(response, 409)
    assert client.get("/v1/therapies/prolotherapy").json()["version"] == 1


@pytest.mark.parametrize("record_type", LINK_TYPES)
def test_create_link_twice_is_409(
    client: TestClient, editor: Headers, record_type: RecordType
) -> None:
    first = create(client, editor, record_type)
    path, body = new_record(record_type)
    body = assert_problem(client.post(path, json=body, headers=editor), 409)
    assert f"#{first.json()['id']}" in body["detail"]


def test_create_record_with_unknown_references_is_422_naming_each(
    client: TestClient, editor: Headers
) -> None:
    path, body = new_record(RecordType.outcome)
    body |= {"therapy": "no-such-therapy", "source": "no-such-source"}
    response = client.post(path, json=body, headers=editor)
    assert invalid_names(response) == ["therapy", "source"]
    assert "unknown therapy 'no-such-therapy'" in response.json()["detail"]

    path, body = new_record(RecordType.therapy)
    body["sources"] = ["clinic-page", "nowhere"]
    assert invalid_names(client.post(path, json=body, headers=editor)) == ["sources[1]"]

    path, body = new_record(RecordType.injectate_use)
    body["condition"] = "gout"
    assert invalid_names(client.post(path, json=body, headers=editor)) == ["condition"]
    assert_problem(client.post("/v1/therapies/no-such-therapy/facts", json={}, headers=editor), 422)


@pytest.mark.parametrize(
    ("record_type", "field", "value", "name"),
    [
        (RecordType.source, "kind", "blog", "kind"),
        (RecordType.outcome, "evidence_level", "anecdote", "evidence_level"),
        (RecordType.side_effect_report, "frequency", "often", "frequency"),
        (RecordType.fact, "topic", "gossip", "topic"),
        (RecordType.source, "year", 1700, "year"),
        (RecordType.outcome, "sample_size", 0, "sample_size"),
        (RecordType.condition, "slug", "Not A Slug", "slug"),
        (
            RecordType.injectate,
            "components",
            [{"substance": "dextrose", "concentration_min_pct": 150, "role": "proliferant"}],
            "components[0].concentration_min_pct",
        ),
        (RecordType.therapy, "colour", "blue", "colour"),
        (RecordType.injectate, "components", [], "components"),
        (RecordType.side_effect, "name", "Bru\x00ising", "name"),
    ],
)
def test_create_record_out_of_vocabulary_or_range_is_422_naming_the_field(
    client: TestClient,
    editor: Headers,
    record_type: RecordType,
    field: str,
    value: Any,
    name: str,
) -> None:
    path, body = new_record(record_type)
    body[field] = value
    assert invalid_names(client.post(path, json=body, headers=editor)) == [name]


def test_update_record_out_of_range_is_422_naming_the_field(
    client: TestClient, editor: Headers
) -> None:
    etag = client.get("/v1/outcomes/trial-2013-womac").headers["etag"]
    headers = editor | {"If-Match": etag}
    response = client.patch(
        "/v1/outcomes/trial-2013-womac", json={"sample_size": -1, "colour": 1}, headers=headers
    )
    assert sorted(invalid_names(response)) == ["colour", "sample_size"]
    response = client.patch(
        "/v1/outcomes/trial-2013-womac", json={"measure": None}, headers=headers
    )
    assert invalid_names(response) == ["measure"]
    response = client.patch(
        "/v1/outcomes/trial-2013-womac", json={"value_min": 99, "value_max": 1}, headers=headers
    )
    assert "minimum 99" in assert_problem(response, 422)["invalid_params"][0]["reason"]
    assert client.get("/v1/outcomes/trial-2013-womac").json()["version"] == 1


@pytest.mark.parametrize(
    ("path", "citers"),
    [
        (
            "/v1/sources/trial-2013",
            [
                "outcome 'trial-2013-womac'",
                "indication #2 of therapy 'prolotherapy'",
                "injectate use #2 of therapy 'prolotherapy'",
                "side-effect report #2 of therapy 'prolotherapy'",
            ],
        ),
        ("/v1/sources/clinic-page", ["condition 'achilles-tendinopathy' (its sources)"]),
        (
            "/v1/conditions/knee-osteoarthritis",
            [
                "outcome 'trial-2013-womac'",
                "indication #2 of therapy 'prolotherapy'",
                "injectate use #2 of therapy 'prolotherapy'",
            ],
        ),
        (
            "/v1/injectates/dextrose-5",
            ["injectate use #1 of therapy 'perineural-injection-therapy'"],
        ),
        ("/v1/side-effects/pneumothorax", ["side-effect report #2 of therapy 'prolotherapy'"]),
        ("/v1/therapies/prolotherapy", ["outcome 'trial-2013-womac'"]),
    ],
)
def test_delete_cited_record_is_409_naming_the_citers(
    client: TestClient, editor: Headers, engine: Engine, path: str, citers: list[str]
) -> None:
    etag = client.get(path).headers["etag"]
    audited = audit_count(engine)
    body = assert_problem(client.delete(path, headers=editor | {"If-Match": etag}), 409)
    for citer in citers:
        assert citer in body["detail"], citer
    assert client.get(path).status_code == 200
    assert audit_count(engine) == audited


def test_create_injectate_without_components_is_422(client: TestClient, editor: Headers) -> None:
    path, body = new_record(RecordType.injectate)
    del body["components"]
    assert invalid_names(client.post(path, json=body, headers=editor)) == ["components"]


def test_read_link_with_id_beyond_any_key_is_422(client: TestClient) -> None:
    response = client.get(f"/v1/therapies/prolotherapy/facts/{2**31}")
    assert invalid_names(response) == ["id"]


def test_read_link_of_another_therapy_is_404(client: TestClient, editor: Headers) -> None:
    fact_id = client.get("/v1/therapies/perineural-injection-therapy").json()["facts"][0]["id"]
    assert (
        client.get(f"/v1/therapies/perineural-injection-therapy/facts/{fact_id}").status_code == 200
    )
    assert_problem(client.get(f"/v1/therapies/prolotherapy/facts/{fact_id}"), 404)
    response = client.delete(
        f"/v1/therapies/prolotherapy/facts/{fact_id}", headers=editor | {"If-Match": "*"}
    )
    assert_problem(response, 404)


# --------------------------------------------------------------------------------------------
# Optimistic concurrency: If-Match absent, stale, current
# --------------------------------------------------------------------------------------------

WRITES = [
    ("patch", "/v1/therapies/prolotherapy", {"name": "Changed"}),
    ("put", "/v1/side-effects/bruising", {"slug": "bruising", "name": "Changed"}),
    ("delete", "/v1/outcomes/pit-success-claim", None),
    ("patch", "/v1/therapies/prolotherapy/indications/2", {"note": "Changed"}),
    ("delete", "/v1/therapies/perineural-injection-therapy/facts/1", None),
    ("delete", "/v1/therapies/perineural-injection-therapy/side-effect-reports/1", None),
    (
        "put",
        "/v1/therapies/perineural-injection-therapy/injectate-uses/1",
        {"injectate": "dextrose-5", "source": "clinic-page"},
    ),
]


def send(
    client: TestClient, method: str, path: str, body: Any, headers: Headers
) -> httpx2.Response:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_write_without_if_match_is_428_and_changes_nothing(
    client: TestClient, editor: Headers, method: str, path: str, body: Any
) -> None:
    before = client.get(path).json()
    for headers in (editor, editor | {"If-Match": ""}, editor | {"If-Match": "*"}):
        problem = assert_problem(send(client, method, path, body, headers), 428)
        assert "If-Match" in problem["detail"]
    assert client.get(path).json() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_write_with_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, editor: Headers, engine: Engine, method: str, path: str, body: Any
) -> None:
    read = client.get(path)
    current = read.headers["etag"].rsplit(";", 1)[1].rstrip('"')
    stale = current.replace("/v1", "/v0")
    audited = audit_count(engine)
    for tag in (f'"{stale}"', f'"1-abc;{stale}"', f'W/"{current}"', '"therapy/other/v1"'):
        problem = assert_problem(send(client, method, path, body, editor | {"If-Match": tag}), 412)
        assert f'"{current}"' in problem["detail"], tag
    assert client.get(path).json() == read.json()
    assert audit_count(engine) == audited


@pytest.mark.parametrize("form", ["read", "record", "list"])
@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_write_with_current_if_match_succeeds(
    client: TestClient, editor: Headers, method: str, path: str, body: Any, form: str
) -> None:
    read = client.get(path).headers["etag"]
    record = '"' + read.rsplit(";", 1)[1]
    tag = {"read": read, "record": record, "list": f'W/{record}, "other", {record}'}[form]
    response = send(client, method, path, body, editor | {"If-Match": tag})
    assert response.status_code == (204 if method == "delete" else 200), response.text
    if method == "delete":
        assert_problem(client.get(path), 404)
    else:
        assert response.headers["etag"] == record.replace('/v1"', '/v2"')
        assert client.get(path).json()["version"] == 2


def test_write_with_malformed_if_match_is_422_naming_the_header(
    client: TestClient, editor: Headers
) -> None:
    response = client.patch(
        "/v1/therapies/prolotherapy",
        json={"name": "Changed"},
        headers=editor | {"If-Match": "therapy/prolotherapy/v1"},
    )
    problem = assert_problem(response, 422)
    assert problem["invalid_params"][0] == {
        "name": "If-Match",
        "reason": 'not a list of quoted entity tags; e.g. If-Match: "therapy/prolotherapy/v1"',
        "location": "header",
    }


def test_read_therapy_etag_follows_its_version_and_still_revalidates(
    client: TestClient, editor: Headers
) -> None:
    first = client.get("/v1/therapies/prolotherapy")
    assert first.headers["etag"].endswith(';therapy/prolotherapy/v1"')
    not_modified = client.get(
        "/v1/therapies/prolotherapy", headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    # A change to another record moves the page's tag but not the therapy's version.
    other = client.get("/v1/side-effects/bruising").headers["etag"]
    client.patch(
        "/v1/side-effects/bruising", json={"serious": True}, headers=editor | {"If-Match": other}
    )
    second = client.get("/v1/therapies/prolotherapy")
    assert second.headers["etag"] != first.headers["etag"]
    assert second.headers["etag"].endswith(';therapy/prolotherapy/v1"')
    response = client.patch(
        "/v1/therapies/prolotherapy",
        json={"name": "Changed"},
        headers=editor | {"If-Match": first.headers["etag"]},
    )
    assert response.status_code == 200
    third = client.get("/v1/therapies/prolotherapy")
    assert third.headers["etag"].endswith(';therapy/prolotherapy/v2"')
    assert third.json()["name"] == "Changed"


def test_write_moves_caches_at_once(client: TestClient, editor: Headers) -> None:
    listing = client.get("/v1/side-effects").json()
    assert "Post-injection flare" not in [item["name"] for item in listing["items"]]
    create(client, editor, RecordType.side_effect)
    listing = client.get("/v1/side-effects").json()
    assert "Post-injection flare" in [item["name"] for item in listing["items"]]


def test_update_condition_reindexes_search(client: TestClient, editor: Headers) -> None:
    etag = client.get("/v1/conditions/knee-osteoarthritis").headers["etag"]
    client.patch(
        "/v1/conditions/knee-osteoarthritis",
        json={"synonyms": ["Gonarthrosis"]},
        headers=editor | {"If-Match": etag},
    )
    found = client.get("/v1/conditions", params={"q": "gonarthrosis"}).json()
    assert [item["slug"] for item in found["items"]] == ["knee-osteoarthritis"]


def test_update_therapy_twenty_concurrent_patches_one_wins(
    client: TestClient, editor: Headers, engine: Engine
) -> None:
    etag = client.get("/v1/therapies/prolotherapy").headers["etag"]
    start = threading.Barrier(20)

    def patch(number: int) -> tuple[int, str]:
        start.wait()
        response = client.patch(
            "/v1/therapies/prolotherapy",
            json={"name": f"Writer {number}"},
            headers=editor | {"If-Match": etag},
        )
        return response.status_code, f"Writer {number}"

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(patch, range(20)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * 19, statuses
    winner = next(name for status, name in results if status == 200)
    therapy = client.get("/v1/therapies/prolotherapy").json()
    assert (therapy["name"], therapy["version"]) == (winner, 2)
    with Session(engine) as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.record_type == RecordType.therapy)
        ).all()
    assert [(entry.action, entry.after["name"]) for entry in entries] == [("update", winner)]  # type: ignore[index]


def test_write_preflight_allows_methods_and_headers(client: TestClient) -> None:
    response = client.options(
        "/v1/therapies/prolotherapy",
        headers={
            "Origin": "https://front.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match, content-type",
        },
    )
    assert response.status_code == 200
    allowed = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"POST", "PUT", "PATCH", "DELETE"} <= allowed
    assert "if-match" in response.headers["access-control-allow-headers"].lower()
