"""The relevance table (tests/search/relevance.py) on the curated knowledge base, through the
HTTP API, on whichever engine the suite runs on: each engine's first five hits must equal the
recorded ones (relevance_hits.json), so passing on SQLite and on PostgreSQL is the same hits on
both."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.search.relevance import (
    DEPTH,
    HITS_FILE,
    RELEVANCE,
    misleading_corrections,
    run_table,
    scores,
)


def test_relevance_table_covers_what_the_issue_asks() -> None:
    kinds = {kind for _, _, kind in RELEVANCE}
    assert len(RELEVANCE) >= 150
    assert sum(expected is None for _, expected, _ in RELEVANCE) >= 20
    assert {"abbreviation", "lay", "code title", "word order", "extra word", "typo"} <= kinds
    assert len({query for query, _, _ in RELEVANCE}) == len(RELEVANCE)


def test_relevance_first_hit_and_recall_at_five(seeded_client: TestClient) -> None:
    outcomes = run_table(seeded_client)
    first, recall = scores(outcomes)
    wrong = [(o.query, o.expected, o.hits) for o in outcomes if not o.first_hit_right]
    assert first >= 0.95, wrong
    assert recall >= 0.99, wrong
    # a condition the knowledge base does not hold: an empty answer, every time
    assert [o.query for o in outcomes if o.expected is None and o.hits] == []


def test_relevance_hits_are_the_recorded_ones(seeded_client: TestClient) -> None:
    recorded = json.loads(HITS_FILE.read_text(encoding="utf-8"))
    outcomes = run_table(seeded_client)
    assert {o.query: o.hits for o in outcomes} == recorded
    assert all(len(hits) <= DEPTH for hits in recorded.values())


def test_relevance_corrections_never_lead_to_another_condition(
    seeded_client: TestClient,
) -> None:
    outcomes = run_table(seeded_client)
    assert any(o.did_you_mean for o in outcomes)  # the check checks something
    assert misleading_corrections(seeded_client, outcomes) == []


def test_relevance_same_hits_on_v1_search(seeded_client: TestClient) -> None:
    conditions = run_table(seeded_client)
    searched = run_table(seeded_client, "/v1/search", type="condition")
    assert [o.hits for o in searched] == [o.hits for o in conditions]
    assert [o.did_you_mean for o in searched] == [o.did_you_mean for o in conditions]
    assert [o.related for o in searched] == [o.related for o in conditions]
