"""A real FHIR client library (fhirpy's sync client) against a live server: search Evidence
for a condition, follow `next` through every page, read the cited Citation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fhirpy import SyncFHIRClient

from app.fhir.terms import fhir_id
from tests.conftest import SEED_FILE
from tests.servers import running_server


def test_fhirpy_searches_evidence_follows_next_and_reads_the_citation(
    database_url: str, load: Callable[[dict[str, Any]], None]
) -> None:
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    load(seed)
    expected = {
        fhir_id(o["slug"]): o["source"]
        for o in seed["outcomes"]
        if o.get("condition") == "knee-osteoarthritis"
    }
    with running_server(database_url) as base:
        client = SyncFHIRClient(f"{base}/fhir/r5")
        search = client.resources("Evidence").search(condition="knee-osteoarthritis").limit(3)
        assert search.count() == len(expected) == 10
        first_page = search.fetch()
        assert len(first_page) == 3
        every = search.fetch_all()  # follows the Bundle's next links
        assert sorted(r.id for r in every) == sorted(expected)
        evidence = every[-1]
        cited = evidence["citeAsReference"]
        citation = client.reference(reference=cited["reference"]).to_resource()
        assert citation.resource_type == "Citation"
        assert citation.id == fhir_id(expected[evidence.id])
        assert citation["title"] == cited["display"]
