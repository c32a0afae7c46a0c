"""/v1/body-regions"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_list_body_regions_counts_conditions(client: TestClient, load: Any) -> None:
    from tests.factories import seed_document

    raw = seed_document()
    raw["conditions"].append(
        {"slug": "knee-pain", "name": "Knee pain", "body_region": "knee", "category": "pain"}
    )
    load(raw)
    response = client.get("/v1/body-regions")
    assert response.status_code == 200
    body = response.json()
    assert body["items"] == [
        {
            "slug": "ankle-foot",
            "condition_count": 1,
            "conditions_url": "http://testserver/v1/conditions?body_region=ankle-foot",
        },
        {
            "slug": "knee",
            "condition_count": 2,
            "conditions_url": "http://testserver/v1/conditions?body_region=knee",
        },
    ]
    assert body["total"] == 2


def test_list_body_regions_link_lists_the_region(client: TestClient) -> None:
    region = client.get("/v1/body-regions").json()["items"][1]
    response = client.get(region["conditions_url"])
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["items"]] == ["knee-osteoarthritis"]
    assert response.json()["total"] == region["condition_count"]


def test_list_body_regions_sorts_and_pages(client: TestClient, load: Any) -> None:
    from tests.factories import seed_document

    raw = seed_document()
    raw["conditions"].append(
        {"slug": "knee-pain", "name": "Knee pain", "body_region": "knee", "category": "pain"}
    )
    load(raw)
    response = client.get("/v1/body-regions", params={"sort": "-condition_count", "limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body["items"]] == ["knee"]
    assert body["total"] == 2
    assert body["links"]["next"].endswith("/v1/body-regions?sort=-condition_count&limit=1&offset=1")


def test_list_body_regions_empty_database_is_empty_list(empty_client: TestClient) -> None:
    response = empty_client.get("/v1/body-regions")
    assert response.status_code == 200
    assert (response.json()["items"], response.json()["total"]) == ([], 0)


def test_list_body_regions_refuses_unknown_sort(client: TestClient) -> None:
    response = client.get("/v1/body-regions", params={"sort": "name"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "sort"
