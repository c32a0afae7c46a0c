"""/v1/conditions and the clinician's question, /v1/conditions/{slug}/therapies"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import seed_document

Load = Callable[[dict[str, Any]], None]


def test_list_conditions_filters_by_body_region_category_therapy(client: TestClient) -> None:
    response = client.get("/v1/conditions", params={"body_region": "knee"})
    assert response.status_code == 200
    assert [c["slug"] for c in response.json()["items"]] == ["knee-osteoarthritis"]
    response = client.get("/v1/conditions", params={"category": "tendinopathy"})
    assert [c["slug"] for c in response.json()["items"]] == ["achilles-tendinopathy"]
    response = client.get("/v1/conditions", params={"therapy": "prolotherapy"})
    assert [c["slug"] for c in response.json()["items"]] == ["knee-osteoarthritis"]


def test_list_conditions_returns_codes_and_synonyms(client: TestClient) -> None:
    response = client.get("/v1/conditions", params={"sort": "-name"})
    assert response.status_code == 200
    first = response.json()["items"][1]
    assert first["slug"] == "achilles-tendinopathy"
    assert first["synonyms"] == ["Achilles tendinitis"]
    assert first["codes"] == [
        {"system": "ICD-10-CM", "code": "M76.6", "title": "Achilles tendinitis"}
    ]


def test_read_condition_embeds_therapies_outcomes_sources(client: TestClient) -> None:
    response = client.get("/v1/conditions/knee-osteoarthritis")
    assert response.status_code == 200
    body = response.json()
    assert [t["slug"] for t in body["therapies"]] == ["prolotherapy"]
    assert [o["slug"] for o in body["outcomes"]] == ["trial-2013-womac"]
    assert body["outcomes"][0]["source"]["doi"] == "10.1000/trial.2013"
    assert body["sources"] == []


def test_read_condition_therapies_lists_injectates_outcomes_side_effects(
    client: TestClient,
) -> None:
    response = client.get("/v1/conditions/achilles-tendinopathy/therapies")
    assert response.status_code == 200
    body = response.json()
    assert body["condition"]["slug"] == "achilles-tendinopathy"
    assert body["total"] == 1
    item = body["items"][0]
    assert item["therapy"]["slug"] == "perineural-injection-therapy"
    assert item["best_evidence_level"] == "practitioner-claim"
    assert [u["injectate"]["slug"] for u in item["injectates"]] == ["dextrose-5"]
    # the condition's own outcome; the therapy-wide claim apart, as a general statement
    assert [o["slug"] for o in item["outcomes"]] == ["pit-achilles-claim"]
    assert [o["slug"] for o in item["general_outcomes"]] == ["pit-success-claim"]
    assert all(o["source"]["slug"] == "clinic-page" for o in item["outcomes"])
    assert item["evidence_summary"]["condition_specific_outcomes"] == 1
    assert item["evidence_summary"]["general_outcomes"] == 1
    assert [s["side_effect"]["slug"] for s in item["side_effects"]] == ["bruising"]


def test_read_condition_therapies_strongest_evidence_first(client: TestClient, load: Load) -> None:
    raw = seed_document()
    raw["therapies"][1]["indications"].append(
        {"condition": "achilles-tendinopathy", "source": "trial-2013"}
    )
    raw["outcomes"].append(
        {
            "slug": "trial-achilles",
            "therapy": "prolotherapy",
            "condition": "achilles-tendinopathy",
            "source": "trial-2013",
            "measure": "VISA-A change",
            "finding": "VISA-A improved.",
            "evidence_level": "rct",
        }
    )
    load(raw)
    response = client.get("/v1/conditions/achilles-tendinopathy/therapies")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(i["therapy"]["slug"], i["best_evidence_level"]) for i in items] == [
        ("prolotherapy", "rct"),
        ("perineural-injection-therapy", "practitioner-claim"),
    ]
    # the knee-only protocol of prolotherapy is not shown for the Achilles
    assert items[0]["injectates"] == []
    filtered = client.get(
        "/v1/conditions/achilles-tendinopathy/therapies", params={"min_evidence": "rct"}
    )
    assert [i["therapy"]["slug"] for i in filtered.json()["items"]] == ["prolotherapy"]
    by_injectate = client.get(
        "/v1/conditions/achilles-tendinopathy/therapies", params={"injectate": "dextrose-5"}
    )
    assert [i["therapy"]["slug"] for i in by_injectate.json()["items"]] == [
        "perineural-injection-therapy"
    ]


def test_read_condition_therapies_best_evidence_is_the_conditions_own(
    client: TestClient, load: Load
) -> None:
    raw = seed_document()
    raw["outcomes"].append(
        {
            "slug": "pit-general-review",
            "therapy": "perineural-injection-therapy",
            "source": "trial-2013",
            "measure": "pain",
            "finding": "A review of the therapy for no particular condition.",
            "evidence_level": "systematic-review",
        }
    )
    load(raw)
    response = client.get("/v1/conditions/achilles-tendinopathy/therapies")
    item = response.json()["items"][0]
    assert item["best_evidence_level"] == "practitioner-claim"
    # the general review is listed apart (strongest first), never as evidence for the Achilles
    assert [o["slug"] for o in item["outcomes"]] == ["pit-achilles-claim"]
    assert [o["slug"] for o in item["general_outcomes"]] == [
        "pit-general-review",
        "pit-success-claim",
    ]
    assert item["evidence_summary"]["counts"] == [
        {
            "evidence_level": "practitioner-claim",
            "comparison": "none",
            "direction": "unclear",
            "count": 1,
        }
    ]


def test_read_condition_therapies_refuses_unknown_evidence_level(client: TestClient) -> None:
    response = client.get(
        "/v1/conditions/achilles-tendinopathy/therapies", params={"min_evidence": "anecdote"}
    )
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "min_evidence"


def test_read_condition_therapies_missing_condition_is_404(client: TestClient) -> None:
    response = client.get("/v1/conditions/no-such-condition/therapies")
    assert response.status_code == 404
    assert response.json()["detail"] == "No condition with slug 'no-such-condition'."
