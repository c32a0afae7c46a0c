"""/v1/outcomes"""

from __future__ import annotations

from fastapi.testclient import TestClient


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["items"]]


def test_list_outcomes_strongest_evidence_first(client: TestClient) -> None:
    response = client.get("/v1/outcomes")
    assert response.status_code == 200
    assert slugs(response) == ["trial-2013-womac", "pit-achilles-claim", "pit-success-claim"]
    assert response.json()["items"][0]["therapy"]["slug"] == "prolotherapy"


def test_list_outcomes_filters(client: TestClient) -> None:
    assert slugs(client.get("/v1/outcomes", params={"therapy": "prolotherapy"})) == [
        "trial-2013-womac"
    ]
    assert slugs(client.get("/v1/outcomes", params={"condition": "achilles-tendinopathy"})) == [
        "pit-achilles-claim"
    ]
    assert slugs(client.get("/v1/outcomes", params={"source": "clinic-page"})) == [
        "pit-achilles-claim",
        "pit-success-claim",
    ]
    assert slugs(client.get("/v1/outcomes", params={"evidence_level": "rct"})) == [
        "trial-2013-womac"
    ]
    both = client.get(
        "/v1/outcomes", params=[("evidence_level", "rct"), ("evidence_level", "practitioner-claim")]
    )
    assert both.json()["total"] == 3
    assert slugs(client.get("/v1/outcomes", params={"min_evidence": "cohort"})) == [
        "trial-2013-womac"
    ]


def test_list_outcomes_sorts_by_sample_size(client: TestClient) -> None:
    response = client.get("/v1/outcomes", params={"sort": "-sample_size", "limit": 1})
    assert response.status_code == 200
    assert response.json()["total"] == 3
    assert len(response.json()["items"]) == 1


def test_list_outcomes_refuses_unknown_evidence_level(client: TestClient) -> None:
    response = client.get("/v1/outcomes", params={"evidence_level": "anecdote"})
    assert response.status_code == 422
    body = response.json()
    assert body["invalid_params"][0]["name"] == "evidence_level[0]"
    assert body["invalid_params"][0]["location"] == "query"


def test_read_outcome_embeds_therapy_condition_source(client: TestClient) -> None:
    response = client.get("/v1/outcomes/trial-2013-womac")
    assert response.status_code == 200
    body = response.json()
    assert body["evidence_level"] == "rct"
    assert (body["value_min"], body["comparator_value_min"], body["sample_size"]) == (15.3, 7.6, 90)
    assert body["condition"]["slug"] == "knee-osteoarthritis"
    assert body["source"]["pmid"] == "12345678"


def test_read_outcome_missing_is_404(client: TestClient) -> None:
    assert client.get("/v1/outcomes/nothing").status_code == 404
