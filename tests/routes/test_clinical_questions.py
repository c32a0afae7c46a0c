"""The clinician's question answered from the curated knowledge base (data/seed.json)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import EVIDENCE_RANK, EvidenceLevel

PAGE = "smrt-health-prolotherapy-page"


def therapies_for(client: TestClient, condition: str) -> dict[str, Any]:
    response = client.get(f"/v1/conditions/{condition}/therapies")
    assert response.status_code == 200
    return {item["therapy"]["slug"]: item for item in response.json()["items"]}


def test_read_condition_therapies_achilles_shows_pit_with_5_percent_dextrose(
    seeded_client: TestClient,
) -> None:
    pit = therapies_for(seeded_client, "achilles-tendinopathy")["perineural-injection-therapy"]
    assert "dextrose-5-in-water" in {use["injectate"]["slug"] for use in pit["injectates"]}
    claims = [o for o in pit["outcomes"] if o["evidence_level"] == "practitioner-claim"]
    assert {o["source"]["slug"] for o in claims} >= {PAGE}
    assert all(o["source"]["kind"] == "web-page" for o in claims)
    assert {"injection-site-bruising", "infection"} <= {
        s["side_effect"]["slug"] for s in pit["side_effects"]
    }
    page_reports = [s for s in pit["side_effects"] if s["source"]["slug"] == PAGE]
    assert page_reports, "the page's own side-effect statements are listed"


@pytest.mark.parametrize(
    "condition",
    ["knee-osteoarthritis", "low-back-pain", "lateral-epicondylitis", "achilles-tendinopathy"],
)
def test_read_condition_therapies_claims_beside_studies_strongest_first(
    seeded_client: TestClient, condition: str
) -> None:
    items = therapies_for(seeded_client, condition).values()
    outcomes = [outcome for item in items for outcome in item["outcomes"]]
    levels = {outcome["evidence_level"] for outcome in outcomes}
    assert "practitioner-claim" in levels
    assert levels & {"systematic-review", "rct"}, f"no study result for {condition}"
    for item in items:
        ranks = [EVIDENCE_RANK[EvidenceLevel(o["evidence_level"])] for o in item["outcomes"]]
        assert ranks == sorted(ranks), item["therapy"]["slug"]
    best = [item["best_evidence_level"] for item in items]
    order = [EVIDENCE_RANK[EvidenceLevel(b)] if b else len(EVIDENCE_RANK) for b in best]
    assert order == sorted(order)


def test_read_condition_therapies_low_back_pain_shows_claim_and_cochrane(
    seeded_client: TestClient,
) -> None:
    prolotherapy = therapies_for(seeded_client, "low-back-pain")["prolotherapy"]
    levels_by_source = {
        (o["source"]["slug"], o["evidence_level"]) for o in prolotherapy["outcomes"]
    }
    assert (PAGE, "practitioner-claim") in levels_by_source
    assert any(level == "systematic-review" for _, level in levels_by_source)
    assert prolotherapy["outcomes"][0]["evidence_level"] == "systematic-review"


def test_read_source_page_lists_everything_citing_it(seeded_client: TestClient) -> None:
    response = seeded_client.get(f"/v1/sources/{PAGE}")
    assert response.status_code == 200
    cited = response.json()["cited_by"]
    assert len(cited["indications"]) >= 15
    assert {o["evidence_level"] for o in cited["outcomes"]} == {"practitioner-claim"}
    assert all(fact["attribution"] == "proponent" for fact in cited["facts"])
