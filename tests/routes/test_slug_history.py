"""Renames keep links alive: a former slug answers 308 to the record's current URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.models import RecordType
from app.reads.slug_history import current_slug
from tests.curation import assert_problem
from tests.factories import seed_document


def rename(client: TestClient, editor: dict[str, str], url: str, slug: str) -> None:
    etag = client.get(url).headers["etag"]
    response = client.patch(url, json={"slug": slug}, headers={**editor, "If-Match": etag})
    assert response.status_code == 200, response.text


def test_old_url_answers_308_to_the_new_one(client: TestClient, editor: dict[str, str]) -> None:
    rename(client, editor, "/v1/therapies/prolotherapy", "dextrose-prolotherapy")
    response = client.get("/v1/therapies/prolotherapy?fields=slug", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"].endswith("/v1/therapies/dextrose-prolotherapy?fields=slug")
    followed = client.get("/v1/therapies/prolotherapy")
    assert followed.status_code == 200 and followed.json()["slug"] == "dextrose-prolotherapy"
    link_id = followed.json()["indications"][0]["id"]
    nested = client.get(f"/v1/therapies/prolotherapy/indications/{link_id}", follow_redirects=False)
    assert nested.status_code == 308
    assert nested.headers["location"].endswith(
        f"/v1/therapies/dextrose-prolotherapy/indications/{link_id}"
    )
    head = client.head("/v1/therapies/prolotherapy", follow_redirects=False)
    assert head.status_code == 308


def test_renamed_twice_and_back(client: TestClient, editor: dict[str, str]) -> None:
    rename(client, editor, "/v1/sources/trial-2013", "trial-2013-b")
    rename(client, editor, "/v1/sources/trial-2013-b", "trial-2013-c")
    for old in ("trial-2013", "trial-2013-b"):
        response = client.get(f"/v1/sources/{old}", follow_redirects=False)
        assert response.status_code == 308
        assert response.headers["location"].endswith("/v1/sources/trial-2013-c")
    rename(client, editor, "/v1/sources/trial-2013-c", "trial-2013")
    assert client.get("/v1/sources/trial-2013").json()["slug"] == "trial-2013"
    moved = client.get("/v1/sources/trial-2013-c", follow_redirects=False)
    assert moved.headers["location"].endswith("/v1/sources/trial-2013")


def test_a_new_record_takes_a_former_slug(client: TestClient, editor: dict[str, str]) -> None:
    rename(client, editor, "/v1/side-effects/bruising", "bruise")
    created = client.post(
        "/v1/side-effects", json={"slug": "bruising", "name": "Bruising again"}, headers=editor
    )
    assert created.status_code == 201, created.text
    assert client.get("/v1/side-effects/bruising").json()["name"] == "Bruising again"


def test_unknown_slugs_stay_404_and_deletes_forget(
    client: TestClient, editor: dict[str, str], engine: Engine
) -> None:
    assert_problem(client.get("/v1/therapies/never-was"), 404)
    created = client.post(
        "/v1/side-effects", json={"slug": "tingling", "name": "Tingling"}, headers=editor
    )
    assert created.status_code == 201
    rename(client, editor, "/v1/side-effects/tingling", "tingling-2")
    with engine.connect() as connection:
        assert current_slug(connection, RecordType.side_effect, "tingling") == "tingling-2"
    etag = client.get("/v1/side-effects/tingling-2").headers["etag"]
    deleted = client.delete("/v1/side-effects/tingling-2", headers={**editor, "If-Match": etag})
    assert deleted.status_code == 204
    assert_problem(client.get("/v1/side-effects/tingling", follow_redirects=False), 404)


def test_export_and_dataset_keep_former_slugs(client: TestClient, editor: dict[str, str]) -> None:
    rename(client, editor, "/v1/conditions/knee-osteoarthritis", "knee-oa")
    for url in ("/v1/dataset", "/v1/export"):
        document = client.get(url, headers=editor).json()
        (condition,) = [c for c in document["conditions"] if c["slug"] == "knee-oa"]
        assert condition["former_slugs"] == ["knee-osteoarthritis"], url
        assert all("former_slugs" not in c for c in document["conditions"] if c is not condition)


def test_seed_and_import_load_former_slugs(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> None:
    raw = seed_document()
    source = next(s for s in raw["sources"] if s["slug"] == "clinic-page")
    source["former_slugs"] = ["old-clinic-page"]
    load(raw)
    client = make_client()
    moved = client.get("/v1/sources/old-clinic-page", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"].endswith("/v1/sources/clinic-page")
    assert client.get("/v1/dataset").json()["sources"][0]["former_slugs"] == ["old-clinic-page"]
    source.pop("former_slugs")
    load(raw)  # the document holds exactly what it says: no history now
    assert_problem(client.get("/v1/sources/old-clinic-page", follow_redirects=False), 404)


def test_pages_of_a_renamed_record_answer_308(client: TestClient, editor: dict[str, str]) -> None:
    rename(client, editor, "/v1/therapies/prolotherapy", "dextrose-prolotherapy")
    moved = client.get("/therapies/prolotherapy?x=1", follow_redirects=False)
    assert moved.status_code == 308
    assert moved.headers["location"] == "/therapies/dextrose-prolotherapy?x=1"
    followed = client.get("/therapies/prolotherapy")
    assert followed.status_code == 200
    assert followed.headers["content-type"].startswith("text/html")
    assert client.get("/therapies/never-was").status_code == 404


def test_condition_pages_of_a_renamed_condition_answer_308(
    client: TestClient, editor: dict[str, str]
) -> None:
    rename(client, editor, "/v1/conditions/achilles-tendinopathy", "achilles-tendinosis")
    for old, new in (
        ("/conditions/achilles-tendinopathy", "/conditions/achilles-tendinosis"),
        ("/conditions/achilles-tendinopathy/compare", "/conditions/achilles-tendinosis/compare"),
    ):
        moved = client.get(old, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (308, new)
        assert client.get(old).status_code == 200
