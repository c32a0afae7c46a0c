"""The clinician's question, "what works for my condition, and how sure are we?", answered
from the curated knowledge base (data/seed.json) and read as a clinician would: the claim,
the controlled evidence and its direction side by side, general statements about a therapy
apart from evidence about the condition, and a plain "no evidence of its own" where there is
none."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import EVIDENCE_RANK, EvidenceLevel

PAGE = "smrt-health-prolotherapy-page"
PIT = "perineural-injection-therapy"
NO_EVIDENCE = "No evidence about this condition itself"
COMPARISONS = ["between-groups", "within-group", "none"]


def therapies_for(client: TestClient, condition: str) -> dict[str, Any]:
    response = client.get(f"/v1/conditions/{condition}/therapies", params={"limit": 100})
    assert response.status_code == 200
    return {item["therapy"]["slug"]: item for item in response.json()["items"]}


def by_slug(outcomes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {outcome["slug"]: outcome for outcome in outcomes}


def weighed(outcome: dict[str, Any]) -> tuple[Any, ...]:
    size = outcome["sample_size"]
    return (
        EVIDENCE_RANK[EvidenceLevel(outcome["evidence_level"])],
        COMPARISONS.index(outcome["comparison"]),
        size is None,
        -(size or 0),
        outcome["slug"],
    )


def test_read_condition_therapies_achilles_shows_pit_with_5_percent_dextrose(
    seeded_client: TestClient,
) -> None:
    pit = therapies_for(seeded_client, "achilles-tendinopathy")[PIT]
    assert "dextrose-5-in-water" in {use["injectate"]["slug"] for use in pit["injectates"]}
    claims = [o for o in pit["general_outcomes"] if o["evidence_level"] == "practitioner-claim"]
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
def test_read_condition_therapies_claims_beside_studies_in_weighed_order(
    seeded_client: TestClient, condition: str
) -> None:
    items = therapies_for(seeded_client, condition).values()
    every = [o for item in items for o in item["outcomes"] + item["general_outcomes"]]
    levels = {outcome["evidence_level"] for outcome in every}
    assert "practitioner-claim" in levels
    assert levels & {"systematic-review", "rct"}, f"no study result for {condition}"
    for item in items:
        for name in ("outcomes", "general_outcomes"):
            assert item[name] == sorted(item[name], key=weighed), (item["therapy"]["slug"], name)
    best = [item["best_evidence_level"] for item in items]
    order = [EVIDENCE_RANK[EvidenceLevel(b)] if b else len(EVIDENCE_RANK) for b in best]
    assert order == sorted(order)


def test_read_condition_therapies_every_pair_separates_general_and_counts_its_evidence(
    seeded_client: TestClient,
) -> None:
    conditions = seeded_client.get("/v1/conditions", params={"limit": 100}).json()["items"]
    pairs = 0
    for condition in conditions:
        for slug, item in therapies_for(seeded_client, condition["slug"]).items():
            pairs += 1
            own, general = item["outcomes"], item["general_outcomes"]
            assert all(o["condition"]["slug"] == condition["slug"] for o in own), slug
            assert all(o["condition"] is None for o in general), slug
            assert all(o["therapy"]["slug"] == slug for o in own + general)
            summary = item["evidence_summary"]
            counted = Counter((o["evidence_level"], o["comparison"], o["direction"]) for o in own)
            assert {
                (c["evidence_level"], c["comparison"], c["direction"]): c["count"]
                for c in summary["counts"]
            } == counted, (condition["slug"], slug)
            assert summary["condition_specific_outcomes"] == len(own)
            assert summary["general_outcomes"] == len(general)
            assert summary["between_group_outcomes"] == sum(
                o["comparison"] == "between-groups" for o in own
            )
            assert summary["has_condition_specific_evidence"] is bool(own)
            assert summary["summary"].startswith(NO_EVIDENCE) is (not own)
            assert (item["best_evidence_level"] is None) is (not own)
    assert pairs > 25


def test_read_compartment_syndrome_says_there_is_no_evidence_of_its_own(
    seeded_client: TestClient,
) -> None:
    # The page names compartment syndrome; nothing was ever reported for it.
    (pit,) = therapies_for(seeded_client, "compartment-syndrome").values()
    assert pit["therapy"]["slug"] == PIT
    assert pit["outcomes"] == []
    assert pit["best_evidence_level"] is None
    summary = pit["evidence_summary"]
    assert summary["has_condition_specific_evidence"] is False
    assert summary["counts"] == []
    assert summary["summary"].startswith(NO_EVIDENCE)
    # The clinic's success figures are shown once, as general statements, never as results
    # for compartment syndrome.
    general = pit["general_outcomes"]
    assert {o["slug"] for o in general} >= {
        "smrt-health-prolotherapy-page-pit-success-rate",
        "lyftogtmed-pit-page-success-rate",
    }
    assert all(o["condition"] is None for o in general)
    claims = [o for o in general if o["evidence_level"] == "practitioner-claim"]
    assert claims and all(o["comparison"] == "none" for o in claims)
    assert all(o["direction"] == "unclear" for o in claims)
    assert f"listed apart: {len(general)}" in summary["summary"]


def test_read_lateral_epicondylitis_sets_the_proponent_review_beside_the_null_trial(
    seeded_client: TestClient,
) -> None:
    prolotherapy = therapies_for(seeded_client, "lateral-epicondylitis")["prolotherapy"]
    outcomes = by_slug(prolotherapy["outcomes"])
    review = outcomes["hauser-2016-dextrose-prolotherapy-review-lateral-epicondylitis"]
    trial = outcomes["bmc-2019-lateral-epicondylalgia-rct-between-group-52w"]
    # The claim, with who makes it ...
    assert review["direction"] == "favours-therapy"
    assert "Caring Medical" in review["conflict_of_interest"]
    # ... and the largest controlled trial, which found no difference, side by side.
    assert (trial["comparison"], trial["direction"]) == ("between-groups", "no-difference")
    assert trial["sample_size"] == 120
    assert outcomes["bmc-2019-lateral-epicondylalgia-rct-prtee-12w"]["direction"] == (
        "favours-comparator"
    )
    # Among the trials, the 120-patient trial comes before the 24-patient pilot.
    rcts = [o["slug"] for o in prolotherapy["outcomes"] if o["evidence_level"] == "rct"]
    assert rcts.index(trial["slug"]) < rcts.index(
        "scarpone-2008-lateral-epicondylosis-rct-pain-16w"
    )
    counts = {
        (c["evidence_level"], c["direction"]): c["count"]
        for c in prolotherapy["evidence_summary"]["counts"]
        if c["comparison"] == "between-groups"
    }
    assert counts[("rct", "favours-therapy")] == 1
    assert counts[("rct", "no-difference")] == 1
    assert counts[("rct", "favours-comparator")] == 1
    assert "no difference: 1" in prolotherapy["evidence_summary"]["summary"]


def test_read_low_back_pain_shows_claim_and_the_controlled_evidence_against_it(
    seeded_client: TestClient,
) -> None:
    therapies = therapies_for(seeded_client, "low-back-pain")
    prolotherapy = by_slug(therapies["prolotherapy"]["outcomes"])
    claim = prolotherapy["smrt-health-prolotherapy-page-hackett-success-rate"]
    assert (claim["evidence_level"], claim["comparison"]) == ("practitioner-claim", "none")
    cochrane = prolotherapy["cochrane-2007-prolotherapy-low-back-pain-alone-vs-control"]
    assert (cochrane["comparison"], cochrane["direction"]) == ("between-groups", "no-difference")
    assert (
        prolotherapy["yelland-2004-low-back-pain-rct-pain-reduction-over-50-12m"]["direction"]
        == "no-difference"
    )
    assert therapies["prolotherapy"]["outcomes"][0]["evidence_level"] == "systematic-review"
    # The epidural trial helped for 48 hours, not at 2 weeks: both are shown.
    epidural = by_slug(therapies["caudal-epidural-dextrose"]["outcomes"])
    directions = {o["follow_up"]: o["direction"] for o in epidural.values()}
    assert directions["48 hours"] == "favours-therapy"
    assert directions["2 weeks"] == "no-difference"
    # PIT is named for low back pain by the page only: no evidence of its own.
    pit = therapies[PIT]
    assert pit["outcomes"] == []
    assert pit["evidence_summary"]["has_condition_specific_evidence"] is False


def test_read_knee_osteoarthritis_puts_controlled_results_before_uncontrolled_changes(
    seeded_client: TestClient,
) -> None:
    prolotherapy = therapies_for(seeded_client, "knee-osteoarthritis")["prolotherapy"]
    slugs = [o["slug"] for o in prolotherapy["outcomes"]]
    # Two reviews: the pooled 319-patient meta-analysis before the review with no pooled size.
    assert slugs.index("hdp-knee-oa-meta-analysis-womac-wmd") < slugs.index(
        "hauser-2016-dextrose-prolotherapy-review-knee-osteoarthritis"
    )
    uncontrolled = [o for o in prolotherapy["outcomes"] if o["comparison"] == "within-group"]
    assert {o["direction"] for o in uncontrolled} == {"improved-uncontrolled"}
    assert any(o["source"]["slug"] == "reeves-hassanein-knee-oa-rct" for o in uncontrolled)
    saline = by_slug(prolotherapy["outcomes"])["rabago-2013-knee-oa-rct-womac-52w-vs-saline"]
    assert (saline["comparison"], saline["direction"]) == ("between-groups", "favours-therapy")
    assert saline["conflict_of_interest"]
    rcts = [o for o in prolotherapy["outcomes"] if o["evidence_level"] == "rct"]
    assert all(o["comparison"] == "between-groups" for o in rcts)


def test_read_achilles_tendinopathy_says_only_the_combined_arm_differed(
    seeded_client: TestClient,
) -> None:
    therapies = therapies_for(seeded_client, "achilles-tendinopathy")
    trial = by_slug(therapies["prolotherapy"]["outcomes"])
    alone = trial["yelland-2011-achilles-rct-visa-a-gain-12m-prolotherapy"]
    combined = trial["yelland-2011-achilles-rct-visa-a-gain-12m-combined"]
    assert alone["direction"] == "no-difference"
    assert "only the combined arm" in alone["finding"]
    assert combined["direction"] == "favours-therapy"
    assert trial["yelland-2011-achilles-rct-visa-a-mcic-12m-prolotherapy"]["direction"] == (
        "unclear"
    )
    assert "Lyftogt" in alone["conflict_of_interest"]
    # PIT for the Achilles: only the developer's own uncontrolled series.
    pit = therapies[PIT]
    assert {o["direction"] for o in pit["outcomes"]} == {"improved-uncontrolled"}
    assert pit["evidence_summary"]["between_group_outcomes"] == 0
    assert all("developer" in o["conflict_of_interest"] for o in pit["outcomes"])


def test_read_plantar_fasciitis_shows_the_pit_pilot_as_a_within_group_change(
    seeded_client: TestClient,
) -> None:
    therapies = therapies_for(seeded_client, "plantar-fasciitis")
    pit = therapies[PIT]
    conaway = [o for o in pit["outcomes"] if o["source"]["slug"].startswith("conaway")]
    assert len(conaway) == 2
    # A randomised pilot, but what it reports is a before/after change in the injected group.
    assert {(o["evidence_level"], o["comparison"]) for o in conaway} == {("rct", "within-group")}
    assert {o["direction"] for o in conaway} == {"improved-uncontrolled"}
    assert pit["evidence_summary"]["between_group_outcomes"] == 0
    ersen = [
        o for o in therapies["prolotherapy"]["outcomes"] if o["source"]["slug"].startswith("ersen")
    ]
    assert {(o["comparison"], o["direction"]) for o in ersen} == {
        ("between-groups", "favours-therapy")
    }


def test_read_osgood_schlatter_shows_the_conflicting_trials(seeded_client: TestClient) -> None:
    prolotherapy = therapies_for(seeded_client, "osgood-schlatter-disease")["prolotherapy"]
    outcomes = by_slug(prolotherapy["outcomes"])
    assert outcomes["nakase-osgood-schlatter-rct-visa"]["direction"] == "no-difference"
    one_year = outcomes["topol-2011-osgood-schlatter-rct-asymptomatic-sport-1y"]
    assert "not as randomised" in one_year["finding"]
    summary = prolotherapy["evidence_summary"]["summary"]
    assert "favour the therapy" in summary and "no difference: 1" in summary


def test_read_source_page_lists_everything_citing_it(seeded_client: TestClient) -> None:
    response = seeded_client.get(f"/v1/sources/{PAGE}")
    assert response.status_code == 200
    body = response.json()
    cited = body["cited_by"]
    assert len(cited["indications"]) >= 15
    assert {o["evidence_level"] for o in cited["outcomes"]} == {"practitioner-claim"}
    assert all(fact["attribution"] == "proponent" for fact in cited["facts"])
    assert body["conflicts_of_interest"] and body["accessed_on"]
