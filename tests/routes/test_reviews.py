"""Review dates: when each statement was last checked against its source. The seed sets them,
writes set them (today, unless the body gives one), /v1/meta reports the oldest, and lists
filter and sort by them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from app.models import Role
from tests.factories import seed_document

Headers = dict[str, str]
OUTCOME_DATES = {
    "pit-success-claim": "2026-01-10",
    "pit-achilles-claim": "2026-03-01",
    "trial-2013-womac": "2026-02-15",
}


def dated_document() -> dict[str, Any]:
    """The factory document with a review date on each outcome and on one condition."""
    document = seed_document()
    for outcome in document["outcomes"]:
        outcome["reviewed_on"] = OUTCOME_DATES[outcome["slug"]]
    document["conditions"][0]["reviewed_on"] = "2026-05-05"
    return document


def slugs(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["slug"] for item in response.json()["items"]]


def test_read_meta_reports_the_oldest_review_and_the_records_never_reviewed(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> None:
    load(dated_document())
    body = make_client().get("/v1/meta").json()
    assert body["oldest_reviewed_on"] == "2026-01-10"
    # The factory document dates nothing else: its other records and links are counted.
    assert body["never_reviewed"] > 0


def test_read_meta_on_the_seed_has_every_record_reviewed(seeded_client: TestClient) -> None:
    body = seeded_client.get("/v1/meta").json()
    assert body["never_reviewed"] == 0
    assert body["oldest_reviewed_on"] == "2026-11-25"


def test_list_outcomes_reviewed_before_a_date_and_oldest_first(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> None:
    load(dated_document())
    client = make_client()
    assert slugs(client.get("/v1/outcomes", params={"sort": "reviewed_on"})) == [
        "pit-success-claim",
        "trial-2013-womac",
        "pit-achilles-claim",
    ]
    due = client.get("/v1/outcomes", params={"reviewed_before": "2026-02-15"})
    assert slugs(due) == ["pit-success-claim"]
    assert due.json()["items"][0]["reviewed_on"] == "2026-01-10"
    newest = client.get("/v1/outcomes", params={"sort": "-reviewed_on", "limit": 1})
    assert slugs(newest) == ["pit-achilles-claim"]


def test_list_conditions_reviewed_before_counts_the_never_reviewed_as_due(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None]
) -> None:
    load(dated_document())
    client = make_client()
    # Knee osteoarthritis carries no date: it is due whatever the date.
    assert slugs(client.get("/v1/conditions", params={"reviewed_before": "2026-05-05"})) == [
        "knee-osteoarthritis"
    ]
    assert slugs(client.get("/v1/conditions", params={"reviewed_before": "2026-05-06"})) == [
        "achilles-tendinopathy",
        "knee-osteoarthritis",
    ]
    searched = client.get(
        "/v1/conditions", params={"q": "achilles", "reviewed_before": "2026-01-01"}
    )
    assert slugs(searched) == []


def test_list_with_a_malformed_review_date_is_422(client: TestClient) -> None:
    response = client.get("/v1/outcomes", params={"reviewed_before": "last week"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "reviewed_before" in response.text


def test_create_record_is_reviewed_today_unless_the_body_says_when(
    client: TestClient, editor: Headers
) -> None:
    body = {
        "slug": "new-outcome",
        "therapy": "prolotherapy",
        "source": "trial-2013",
        "measure": "pain",
        "finding": "Less pain within the group.",
        "evidence_level": "cohort",
        "comparison": "within-group",
        "direction": "improved-uncontrolled",
    }
    created = client.post("/v1/outcomes", json=body, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["reviewed_on"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert (created.json()["comparison"], created.json()["direction"]) == (
        "within-group",
        "improved-uncontrolled",
    )
    dated = client.post(
        "/v1/outcomes",
        json=body | {"slug": "dated-outcome", "reviewed_on": "2026-06-01"},
        headers=editor,
    )
    assert dated.status_code == 201, dated.text
    assert dated.json()["reviewed_on"] == "2026-06-01"


def test_update_record_is_reviewed_today_when_it_changes(
    make_client: Callable[[], TestClient],
    load: Callable[[dict[str, Any]], None],
    editor: Headers,
) -> None:
    load(dated_document())
    client = make_client()
    location = "/v1/outcomes/trial-2013-womac"
    etag = client.get(location).headers["etag"]
    # A patch to the current values changes nothing, the date included.
    same = client.patch(location, json={"sample_size": 90}, headers=editor | {"If-Match": etag})
    assert same.status_code == 200 and same.json()["reviewed_on"] == "2026-02-15"
    changed = client.patch(
        location, json={"direction": "favours-therapy"}, headers=editor | {"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["reviewed_on"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert changed.json()["direction"] == "favours-therapy"
    # A curator who re-checked the record against its source on a given day says so.
    checked = client.patch(
        location,
        json={"reviewed_on": "2026-11-30"},
        headers=editor | {"If-Match": changed.headers["etag"]},
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["reviewed_on"] == "2026-11-30"
    assert checked.json()["version"] == changed.json()["version"] + 1


def test_create_outcome_with_unknown_direction_is_422_naming_it(
    client: TestClient, editor: Headers
) -> None:
    body = {
        "slug": "bad-outcome",
        "therapy": "prolotherapy",
        "source": "trial-2013",
        "measure": "pain",
        "finding": "Less pain.",
        "evidence_level": "rct",
        "direction": "works",
        "certainty": "certain",
    }
    response = client.post("/v1/outcomes", json=body, headers=editor)
    assert response.status_code == 422
    names = {param["name"] for param in response.json()["invalid_params"]}
    assert names == {"direction", "certainty"}


def test_export_carries_the_new_fields(
    make_client: Callable[[], TestClient],
    load: Callable[[dict[str, Any]], None],
    make_key: Callable[..., Headers],
) -> None:
    document = dated_document()
    document["sources"][1]["conflicts_of_interest"] = "Evident: the authors sell the device."
    document["outcomes"][2] |= {
        "comparison": "between-groups",
        "direction": "favours-therapy",
        "certainty": "low",
        "certainty_reason": "Rated down for imprecision by the review.",
        "conflict_of_interest": "Evident: the authors sell the device.",
    }
    load(document)
    client = make_client()
    response = client.get("/v1/export", headers=make_key("admin", Role.admin))
    assert response.status_code == 200, response.text
    exported = response.json()
    outcome = {o["slug"]: o for o in exported["outcomes"]}["trial-2013-womac"]
    assert outcome["certainty"] == "low"
    assert outcome["certainty_reason"].startswith("Rated down")
    assert outcome["reviewed_on"] == "2026-02-15"
    assert (outcome["comparison"], outcome["direction"]) == ("between-groups", "favours-therapy")
    source = {s["slug"]: s for s in exported["sources"]}["trial-2013"]
    assert source["conflicts_of_interest"].startswith("Evident")


def test_list_with_a_number_or_impossible_date_for_review_is_422(client: TestClient) -> None:
    # pydantic alone would read `0` as a Unix time (1970-01-01).
    for value in ("0", "1700000000", "2026-13-45", "2026-1-5"):
        for path in ("/v1/outcomes", "/v1/conditions"):
            response = client.get(path, params={"reviewed_before": value})
            assert response.status_code == 422, (path, value)
