"""/v1/conditions?q=, ?code= and their interplay with the other filters and the sort.

(Kept apart from test_conditions.py, which others edit; the curated query table is in
tests/search/test_search.py.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.search import query as search
from tests.factories import seed_document


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["items"]]


def with_more_conditions(load: Any) -> None:
    raw = seed_document()
    raw["conditions"] += [
        {
            "slug": "lateral-epicondylitis",
            "name": "Lateral epicondylitis",
            "synonyms": ["tennis elbow"],
            "body_region": "elbow",
            "category": "tendinopathy",
            "codes": [
                {"system": "ICD-10-CM", "code": "M77.10", "title": "unspecified elbow"},
                {"system": "ICD-10-CM", "code": "M77.11", "title": "right elbow"},
            ],
        },
        {
            "slug": "medial-epicondylitis",
            "name": "Medial epicondylitis",
            "synonyms": ["golfer's elbow"],
            "body_region": "elbow",
            "category": "tendinopathy",
            "codes": [{"system": "ICD-10-CM", "code": "M77.00", "title": "unspecified elbow"}],
        },
    ]
    load(raw)


def test_list_conditions_q_orders_by_relevance_and_says_what_matched(
    client: TestClient, load: Any
) -> None:
    with_more_conditions(load)
    response = client.get("/v1/conditions", params={"q": "golfers elbow"})
    assert response.status_code == 200
    body = response.json()
    assert slugs(response) == ["medial-epicondylitis"]
    assert body["items"][0]["match"] == {
        "field": "synonym",
        "text": "golfer's elbow",
        "matched_words": ["golfers", "elbow"],
        "unmatched_words": [],
    }
    assert body["items"][0]["codes"][0]["code"] == "M77.00"
    assert body["total"] == 1


def test_list_conditions_q_with_sort_keeps_matches_in_that_order(
    client: TestClient, load: Any
) -> None:
    with_more_conditions(load)
    relevance = client.get("/v1/conditions", params={"q": "elbow"})
    assert slugs(relevance) == ["lateral-epicondylitis", "medial-epicondylitis"]
    by_name = client.get("/v1/conditions", params={"q": "elbow", "sort": "-name"})
    assert by_name.status_code == 200
    assert slugs(by_name) == ["medial-epicondylitis", "lateral-epicondylitis"]
    # code titles match like synonyms: lateral's shortest text holding "elbow" is "right elbow"
    assert [item["match"]["field"] for item in by_name.json()["items"]] == [
        "synonym",
        "code-title",
    ]


def test_list_conditions_q_combines_with_filters(client: TestClient, load: Any) -> None:
    with_more_conditions(load)
    response = client.get("/v1/conditions", params={"q": "tendin", "body_region": "ankle-foot"})
    assert response.status_code == 200
    assert slugs(response) == ["achilles-tendinopathy"]
    assert response.json()["total"] == 1


def test_list_conditions_q_pages_through_matches(client: TestClient, load: Any) -> None:
    with_more_conditions(load)
    everything = slugs(client.get("/v1/conditions", params={"q": "epicondylitis"}))
    # the closer (shorter) name first, then the other
    assert everything == ["medial-epicondylitis", "lateral-epicondylitis"]
    response = client.get("/v1/conditions", params={"q": "epicondylitis", "limit": 1, "offset": 1})
    assert response.status_code == 200
    body = response.json()
    assert slugs(response) == everything[1:]
    assert body["total"] == 2
    assert body["links"]["prev"].endswith("q=epicondylitis&limit=1&offset=0")


def test_list_conditions_without_q_has_no_match(client: TestClient) -> None:
    response = client.get("/v1/conditions")
    assert response.status_code == 200
    body = response.json()
    assert [item["match"] for item in body["items"]] == [None, None]
    assert (body["did_you_mean"], body["facets"]) == ([], {})
    assert (body["related"], body["message"]) == ([], None)


def test_list_conditions_code_matches_exact_and_below(client: TestClient, load: Any) -> None:
    with_more_conditions(load)
    assert slugs(client.get("/v1/conditions", params={"code": "M77.10"})) == [
        "lateral-epicondylitis"
    ]
    assert slugs(client.get("/v1/conditions", params={"code": "m77.1"})) == [
        "lateral-epicondylitis"
    ]
    assert slugs(client.get("/v1/conditions", params={"code": "M77"})) == [
        "lateral-epicondylitis",
        "medial-epicondylitis",
    ]
    assert slugs(client.get("/v1/conditions", params={"code": "M78"})) == []


def test_list_conditions_code_combines_with_q(client: TestClient, load: Any) -> None:
    with_more_conditions(load)
    response = client.get("/v1/conditions", params={"code": "M77", "q": "golfer"})
    assert response.status_code == 200
    assert slugs(response) == ["medial-epicondylitis"]


def test_list_conditions_refuses_malformed_code(client: TestClient) -> None:
    response = client.get("/v1/conditions", params={"code": "M77%"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "code"


def test_list_conditions_refuses_long_q(client: TestClient) -> None:
    response = client.get("/v1/conditions", params={"q": "k" * 201})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [param["name"] for param in response.json()["invalid_params"]] == ["q"]


def test_list_conditions_refuses_negative_limit(client: TestClient) -> None:
    response = client.get("/v1/conditions", params={"q": "knee", "limit": -5})
    assert response.status_code == 422
    assert [param["name"] for param in response.json()["invalid_params"]] == ["limit"]


@pytest.fixture
def small_scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Candidate scans of three terms each, so that a handful of records fills them."""
    monkeypatch.setattr(search, "POSTING_LIMIT", 3)
    monkeypatch.setattr(search, "PHRASE_LIMIT", 3)
    search._terms_statement.cache_clear()  # statements are built with the limits in them
    yield
    search._terms_statement.cache_clear()


def test_list_conditions_q_keeps_the_best_terms_when_a_word_fills_the_scans(
    client: TestClient, load: Any, small_scans: None
) -> None:
    # five names holding the word, in more words than a synonym that holds it too: the
    # synonym ranks first, so the word's bounded scan must reach it before the names
    raw = seed_document()
    raw["conditions"] += [
        {
            "slug": f"upper-ligament-pain-{number}",
            "name": f"Upper ligament pain syndrome {number}",
            "body_region": "knee",
            "category": "ligament-injury",
        }
        for number in range(5)
    ]
    raw["conditions"].append(
        {
            "slug": "knee-sprain",
            "name": "Knee sprain",
            "synonyms": ["torn ligament"],
            "body_region": "knee",
            "category": "ligament-injury",
        }
    )
    load(raw)
    response = client.get("/v1/conditions", params={"q": "ligament"})
    assert response.status_code == 200
    assert slugs(response)[0] == "knee-sprain"
    assert response.json()["items"][0]["match"] == {
        "field": "synonym",
        "text": "torn ligament",
        "matched_words": ["ligament"],
        "unmatched_words": [],
    }
