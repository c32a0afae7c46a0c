"""Facet counts on the condition and outcome lists (app/reads/facets.py), through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_outcomes_counts_every_facet(client: TestClient) -> None:
    response = client.get(
        "/v1/outcomes",
        params=[
            ("facets", "evidence_level"),
            ("facets", "therapy"),
            ("facets", "condition"),
            ("facets", "body_region"),
            ("limit", "1"),
        ],
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    assert response.json()["facets"] == {
        "evidence_level": [
            {"value": "rct", "count": 1},
            {"value": "practitioner-claim", "count": 2},
        ],
        "therapy": [
            {"value": "perineural-injection-therapy", "count": 2},
            {"value": "prolotherapy", "count": 1},
        ],
        "condition": [
            {"value": "achilles-tendinopathy", "count": 1},
            {"value": "knee-osteoarthritis", "count": 1},
        ],
        "body_region": [
            {"value": "ankle-foot", "count": 1},
            {"value": "knee", "count": 1},
        ],
    }


def test_list_outcomes_facets_follow_the_filters(client: TestClient) -> None:
    response = client.get(
        "/v1/outcomes",
        params={"therapy": "perineural-injection-therapy", "facets": "evidence_level"},
    )
    assert response.status_code == 200
    assert response.json()["facets"] == {
        "evidence_level": [{"value": "practitioner-claim", "count": 2}]
    }


def test_list_outcomes_without_facets_has_none(client: TestClient) -> None:
    response = client.get("/v1/outcomes")
    assert response.status_code == 200
    assert response.json()["facets"] == {}


def test_list_outcomes_refuses_unknown_facet(client: TestClient) -> None:
    response = client.get("/v1/outcomes", params={"facets": "colour"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "facets[0]"


def test_list_conditions_counts_every_facet(client: TestClient) -> None:
    response = client.get(
        "/v1/conditions",
        params=[
            ("facets", "body_region"),
            ("facets", "category"),
            ("facets", "therapy"),
            ("facets", "evidence_level"),
        ],
    )
    assert response.status_code == 200
    assert response.json()["facets"] == {
        "body_region": [{"value": "ankle-foot", "count": 1}, {"value": "knee", "count": 1}],
        "category": [
            {"value": "osteoarthritis", "count": 1},
            {"value": "tendinopathy", "count": 1},
        ],
        "therapy": [
            {"value": "perineural-injection-therapy", "count": 1},
            {"value": "prolotherapy", "count": 1},
        ],
        "evidence_level": [
            {"value": "rct", "count": 1},
            {"value": "practitioner-claim", "count": 1},
        ],
    }


def test_list_conditions_facets_count_the_search_matches(client: TestClient) -> None:
    response = client.get("/v1/conditions", params={"q": "knee", "facets": "body_region"})
    assert response.status_code == 200
    assert response.json()["facets"] == {"body_region": [{"value": "knee", "count": 1}]}


def test_list_conditions_facets_on_seed_count_regions(seeded_client: TestClient) -> None:
    response = seeded_client.get("/v1/conditions", params={"facets": "body_region", "limit": 1})
    assert response.status_code == 200
    regions = response.json()["facets"]["body_region"]
    assert sum(item["count"] for item in regions) == response.json()["total"]
    listed = seeded_client.get("/v1/body-regions", params={"limit": 100}).json()["items"]
    assert sorted((item["value"], item["count"]) for item in regions) == sorted(
        (item["slug"], item["condition_count"]) for item in listed
    )
