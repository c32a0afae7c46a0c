"""Dates, booleans and numbers are taken only as themselves, in writes and in seed documents
(issue #28: `"accessed_on": 0` was stored as 1970-01-01, and `0`/`false` were taken for
booleans and numbers)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import PROJECT_ROOT
from app.writes.seed import SeedError, parse_document, validate_document
from tests.curation import invalid_names
from tests.factories import seed_document

Headers = dict[str, str]
SOURCE = {"slug": "new-source", "title": "A new source", "kind": "web-page"}
OUTCOME = {
    "slug": "new-outcome",
    "therapy": "prolotherapy",
    "source": "trial-2013",
    "measure": "pain",
    "finding": "Less pain.",
    "evidence_level": "cohort",
}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/sources", {**SOURCE, "accessed_on": 0}, "accessed_on"),
        ("/v1/sources", {**SOURCE, "accessed_on": 1700000000}, "accessed_on"),
        ("/v1/sources", {**SOURCE, "year": "2013"}, "year"),
        ("/v1/sources", {**SOURCE, "year": True}, "year"),
        ("/v1/sources", {**SOURCE, "year": 2013.0}, "year"),
        ("/v1/side-effects", {"slug": "flare", "name": "Flare", "serious": 0}, "serious"),
        ("/v1/side-effects", {"slug": "flare", "name": "Flare", "serious": "false"}, "serious"),
        ("/v1/outcomes", {**OUTCOME, "sample_size": False}, "sample_size"),
        ("/v1/outcomes", {**OUTCOME, "value_min": False, "value_max": 3}, "value_min"),
        ("/v1/outcomes", {**OUTCOME, "value_min": "1", "value_max": 3}, "value_min"),
    ],
)
def test_create_record_refuses_loose_scalars(
    client: TestClient, editor: Headers, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body, headers=editor)
    assert invalid_names(response) == [f"body.{field}"] or invalid_names(response) == [field]


def test_create_record_takes_scalars_as_themselves(client: TestClient, editor: Headers) -> None:
    source = client.post(
        "/v1/sources", json={**SOURCE, "accessed_on": "2024-05-01", "year": 2013}, headers=editor
    )
    assert source.status_code == 201, source.text
    assert source.json()["accessed_on"] == "2024-05-01"
    flare = {"slug": "flare", "name": "Flare", "serious": False}
    assert client.post("/v1/side-effects", json=flare, headers=editor).status_code == 201
    outcome = client.post(
        "/v1/outcomes",
        json={**OUTCOME, "sample_size": 40, "value_min": 1, "value_max": 2.5},
        headers=editor,
    )
    assert outcome.status_code == 201, outcome.text
    assert (outcome.json()["value_min"], outcome.json()["value_max"]) == (1.0, 2.5)


def test_validate_document_refuses_number_for_date_with_its_path() -> None:
    raw = seed_document()
    raw["sources"][1]["accessed_on"] = 0
    raw["side_effects"][1]["serious"] = 1
    with pytest.raises(SeedError) as caught:
        validate_document(raw)
    assert [str(problem) for problem in caught.value.problems] == [
        "sources[1].accessed_on: Value error, must be a date written as text, YYYY-MM-DD",
        "side_effects[1].serious: Value error, must be true or false",
    ]


def test_validate_document_refuses_boolean_for_constrained_number() -> None:
    raw = seed_document()
    raw["therapies"][1]["injectates"][0]["concentration_min_pct"] = True
    with pytest.raises(SeedError) as caught:
        validate_document(raw)
    assert [str(problem) for problem in caught.value.problems] == [
        "therapies[1].injectates[0].concentration_min_pct: Value error, must be a number"
    ]


def test_curated_seed_is_valid_under_strict_types() -> None:
    document = parse_document((PROJECT_ROOT / "data" / "seed.json").read_bytes())
    assert document.sources and document.therapies
