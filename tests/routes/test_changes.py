"""/v1/changes (what changed after a version, without who) and /v1/dataset (everything)."""

from __future__ import annotations

import gzip
import json

from fastapi.testclient import TestClient

from tests.curation import assert_problem


def version_now(client: TestClient) -> int:
    version: int = client.get("/v1/meta").json()["dataset_version"]
    return version


def test_changes_after_a_version_without_a_key_or_who(
    client: TestClient, editor: dict[str, str]
) -> None:
    held = version_now(client)
    assert client.get(f"/v1/changes?since={held}").json()["items"] == []
    etag = client.get("/v1/sources/trial-2013").headers["etag"]
    patched = client.patch(
        "/v1/sources/trial-2013", json={"year": 2014}, headers={**editor, "If-Match": etag}
    )
    assert patched.status_code == 200
    link = client.get("/v1/therapies/prolotherapy").json()["indications"][0]
    url = f"/v1/therapies/prolotherapy/indications/{link['id']}"
    link_etag = client.get(url).headers["etag"]
    deleted = client.delete(url, headers={**editor, "If-Match": link_etag})
    assert deleted.status_code == 204
    response = client.get(f"/v1/changes?since={held}")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["dataset_version"] == version_now(client)
    first, second = body["items"]
    assert {key: first[key] for key in ("type", "slug", "id", "action")} == {
        "type": "source",
        "slug": "trial-2013",
        "id": None,
        "action": "update",
    }
    assert {key: second[key] for key in ("type", "slug", "id", "action")} == {
        "type": "indication",
        "slug": "prolotherapy",
        "id": link["id"],
        "action": "delete",
    }
    assert held < first["version"] < second["version"] == body["dataset_version"]
    assert "editor" not in response.text and "key_name" not in response.text
    assert client.get(f"/v1/changes?since={second['version']}").json()["items"] == []


def test_changes_are_paged_and_validated(client: TestClient, editor: dict[str, str]) -> None:
    held = version_now(client)
    for year in (2014, 2015, 2016):
        etag = client.get("/v1/sources/trial-2013").headers["etag"]
        client.patch(
            "/v1/sources/trial-2013", json={"year": year}, headers={**editor, "If-Match": etag}
        )
    page = client.get(f"/v1/changes?since={held}&limit=2").json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["links"]["next"]
    assert_problem(client.get("/v1/changes?since=-1"), 422)
    assert client.get(f"/v1/changes?since={2**31 - 1}").json()["items"] == []  # the largest
    assert_problem(client.get(f"/v1/changes?since={2**31}"), 422)
    assert_problem(client.get("/v1/changes?since=abc"), 422)


def test_dataset_is_the_seed_document_public_tagged_and_gzipped(client: TestClient) -> None:
    response = client.get("/v1/dataset", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-encoding"] == "gzip"
    assert "etag" in response.headers and "no-store" not in response.headers["cache-control"]
    document = response.json()
    assert {source["slug"] for source in document["sources"]} == {"clinic-page", "trial-2013"}
    assert "prolotherapy" in {therapy["slug"] for therapy in document["therapies"]}
    again = client.get(
        "/v1/dataset",
        headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["etag"]},
    )
    assert again.status_code == 304
    with client.stream("GET", "/v1/dataset", headers={"Accept-Encoding": "gzip"}) as raw:
        compressed = b"".join(raw.iter_raw())
    assert json.loads(gzip.decompress(compressed)) == document
