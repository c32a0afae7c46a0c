"""Read-your-writes across processes: a client that sends back the version it wrote or saw
never gets older data from another process, whatever that process's view of the version."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from app.http.cache import wanted_version

DETAIL = "/v1/therapies/perineural-injection-therapy"
Headers = dict[str, str]


def _stale_process(make_client: Callable[[], TestClient]) -> TestClient:
    """A second process whose view of the dataset version is never due to be read again."""
    other = make_client()
    other.app.state.dataset_version.ttl = 3600  # type: ignore[attr-defined]
    assert other.get(DETAIL).status_code == 200  # its view and its cache, at the old version
    return other


def _change_summary(client: TestClient, editor: Headers, summary: str) -> int:
    etag = client.get(DETAIL).headers["etag"]
    response = client.patch(DETAIL, json={"summary": summary}, headers=editor | {"If-Match": etag})
    assert response.status_code == 200
    return int(response.headers["dataset-version"])


def test_write_answers_with_the_dataset_version_it_made(
    client: TestClient, editor: Headers
) -> None:
    before = client.get("/v1/meta").json()["dataset_version"]
    version = _change_summary(client, editor, "Changed.")
    assert version == before + 1
    assert client.get("/v1/meta").json()["dataset_version"] == version


def test_read_with_min_dataset_version_sees_a_write_made_through_another_process(
    client: TestClient, make_client: Callable[[], TestClient], editor: Headers
) -> None:
    other = _stale_process(make_client)
    version = _change_summary(client, editor, "Written through the first process.")

    stale = other.get(DETAIL)
    fresh = other.get(DETAIL, headers={"Min-Dataset-Version": str(version)})

    assert stale.status_code == 200
    assert stale.json()["summary"] != "Written through the first process."
    assert fresh.status_code == 200
    assert fresh.json()["summary"] == "Written through the first process."
    assert fresh.headers["etag"].startswith(f'"{version}-')
    # The view moved for everyone: the next read without the header is new too.
    assert other.get(DETAIL).json()["summary"] == "Written through the first process."


def test_revalidation_with_a_newer_tag_than_the_process_has_answers_304(
    client: TestClient, make_client: Callable[[], TestClient], editor: Headers
) -> None:
    other = _stale_process(make_client)
    _change_summary(client, editor, "Seen through the first process.")
    seen = client.get(DETAIL)

    response = other.get(DETAIL, headers={"If-None-Match": seen.headers["etag"]})

    assert response.status_code == 304
    assert response.headers["etag"] == seen.headers["etag"]


def test_delete_answers_with_the_dataset_version_it_made(
    client: TestClient, editor: Headers
) -> None:
    created = client.post(
        "/v1/sources",
        json={"slug": "rw-source", "title": "A source", "kind": "web-page"},
        headers=editor,
    )
    assert created.status_code == 201, created.text
    response = client.delete(
        "/v1/sources/rw-source", headers=editor | {"If-Match": created.headers["etag"]}
    )
    assert response.status_code == 204
    assert int(response.headers["dataset-version"]) == int(created.headers["dataset-version"]) + 1


def test_min_dataset_version_beyond_the_primary_is_answered_from_the_newest(
    client: TestClient,
) -> None:
    current = client.get("/v1/meta").json()["dataset_version"]

    response = client.get(DETAIL, headers={"Min-Dataset-Version": str(current + 1000)})

    assert response.status_code == 200
    assert response.headers["etag"].startswith(f'"{current}-')


@pytest.mark.parametrize(
    ("headers", "wanted"),
    [
        ({}, 0),
        ({b"if-none-match": '"7-3f2a;therapy/x/v2"'}, 7),
        ({b"if-none-match": 'W/"5-ab-gzip", "9-cd"'}, 9),
        ({b"if-none-match": '"therapy/x/v3"'}, 0),  # a record tag carries no dataset version
        ({b"if-none-match": "*"}, 0),
        ({b"min-dataset-version": " 12 "}, 12),
        ({b"min-dataset-version": "12", b"if-none-match": '"14-ab"'}, 14),
        ({b"min-dataset-version": "-3"}, 0),
        ({b"min-dataset-version": "9" * 40}, 0),  # no number that large is a version
    ],
)
def test_wanted_version_reads_the_version_a_client_has_seen(
    headers: dict[bytes, str], wanted: int
) -> None:
    assert wanted_version(headers) == wanted
