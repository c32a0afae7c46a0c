"""/v1/therapies"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def slugs(body: dict[str, Any]) -> list[str]:
    return [item["slug"] for item in body["items"]]


def test_list_therapies_default_order_by_name(client: TestClient) -> None:
    response = client.get("/v1/therapies")
    assert response.status_code == 200
    body = response.json()
    assert slugs(body) == ["prolotherapy", "perineural-injection-therapy"]
    assert (body["total"], body["limit"], body["offset"]) == (2, 20, 0)
    assert body["links"]["next"] is None and body["links"]["prev"] is None


def test_list_therapies_paginates_with_links(client: TestClient) -> None:
    first = client.get("/v1/therapies", params={"limit": 1}).json()
    assert slugs(first) == ["prolotherapy"]
    assert first["links"]["next"].endswith("/v1/therapies?limit=1&offset=1")
    assert first["links"]["last"].endswith("/v1/therapies?limit=1&offset=1")
    second = client.get(first["links"]["next"]).json()
    assert slugs(second) == ["perineural-injection-therapy"]
    assert second["links"]["next"] is None
    assert second["links"]["prev"].endswith("/v1/therapies?limit=1&offset=0")


def test_list_therapies_sorts_descending(client: TestClient) -> None:
    response = client.get("/v1/therapies", params={"sort": "-slug"})
    assert response.status_code == 200
    assert slugs(response.json()) == ["prolotherapy", "perineural-injection-therapy"]
    response = client.get("/v1/therapies", params={"sort": "slug"})
    assert slugs(response.json()) == ["perineural-injection-therapy", "prolotherapy"]


def test_list_therapies_filters_by_condition_injectate_side_effect(client: TestClient) -> None:
    by_condition = client.get("/v1/therapies", params={"condition": "knee-osteoarthritis"})
    assert by_condition.status_code == 200
    assert slugs(by_condition.json()) == ["prolotherapy"]
    by_injectate = client.get("/v1/therapies", params={"injectate": "dextrose-5"})
    assert slugs(by_injectate.json()) == ["perineural-injection-therapy"]
    by_side_effect = client.get("/v1/therapies", params={"side_effect": "pneumothorax"})
    assert slugs(by_side_effect.json()) == ["prolotherapy"]
    unknown = client.get("/v1/therapies", params={"condition": "no-such-condition"})
    assert unknown.status_code == 200
    assert unknown.json()["total"] == 0


def test_list_therapies_refuses_bad_sort_and_limit(client: TestClient) -> None:
    for params in ({"sort": "colour"}, {"limit": 101}, {"limit": 0}, {"offset": -1}):
        response = client.get("/v1/therapies", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert [p["name"] for p in response.json()["invalid_params"]] == list(params)


def test_read_therapy_embeds_related_records(client: TestClient) -> None:
    response = client.get("/v1/therapies/perineural-injection-therapy")
    assert response.status_code == 200
    body = response.json()
    assert body["aliases"] == ["Neural Prolotherapy", "PIT"]
    assert body["version"] == 1 and body["created_at"].endswith("Z")
    assert [i["condition"]["slug"] for i in body["indications"]] == ["achilles-tendinopathy"]
    assert body["injectates"][0]["injectate"]["slug"] == "dextrose-5"
    assert body["injectates"][0]["depth"] == "subcutaneous"
    assert body["side_effects"][0]["frequency"] == "uncommon"
    assert body["side_effects"][0]["source"]["slug"] == "clinic-page"
    assert body["facts"][0]["attribution"] == "proponent"
    assert [o["slug"] for o in body["outcomes"]] == ["pit-achilles-claim", "pit-success-claim"]
    assert [s["slug"] for s in body["sources"]] == ["clinic-page"]


def test_read_therapy_missing_is_problem_404(client: TestClient) -> None:
    response = client.get("/v1/therapies/no-such-therapy")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No therapy with slug 'no-such-therapy'.",
        "instance": "/v1/therapies/no-such-therapy",
    }
