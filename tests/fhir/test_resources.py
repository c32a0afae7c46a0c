"""Every resource the FHIR endpoint can return, for every record of data/seed.json, validates
against the FHIR R5 models of `fhir.resources`, on both engines (tests/conftest.py)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from fhir.resources import get_fhir_model_class

from app.fhir.terms import fhir_id
from tests.conftest import SEED_FILE

SEED = json.loads(SEED_FILE.read_text(encoding="utf-8"))
MEDIA_TYPE = "application/fhir+json"


def validated(body: dict[str, Any]) -> dict[str, Any]:
    """`body` after FHIR R5 validation, which also refuses nulls and empty values (FHIR's
    JSON never holds them)."""
    get_fhir_model_class(body["resourceType"]).model_validate(body)
    assert_no_empty(body, body["resourceType"])
    return body


def assert_no_empty(value: Any, where: str) -> None:
    assert value not in (None, "", [], {}), f"empty value at {where}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_empty(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            assert_no_empty(item, f"{where}[{n}]")


def get(client: TestClient, url: str, status: int = 200) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    return response.json()  # type: ignore[no-any-return]


def all_of(client: TestClient, resource_type: str) -> list[dict[str, Any]]:
    """Every resource of a type, by following the searchset's next links (each page validated)."""
    found: list[dict[str, Any]] = []
    url: str | None = f"/fhir/r5/{resource_type}?_count=50"
    while url:
        bundle = validated(get(client, url))
        found += [entry["resource"] for entry in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    assert len(found) == bundle["total"]
    return found


def test_read_every_seed_record_as_a_valid_resource(seeded_client: TestClient) -> None:
    expected = {
        "Citation": [fhir_id(s["slug"]) for s in SEED["sources"]],
        "Evidence": [fhir_id(o["slug"]) for o in SEED["outcomes"]],
        "SubstanceDefinition": [fhir_id(i["slug"]) for i in SEED["injectates"]],
    }
    for resource_type, ids in expected.items():
        searched = all_of(seeded_client, resource_type)
        assert sorted(r["id"] for r in searched) == sorted(ids)
        for resource_id in ids:
            resource = validated(get(seeded_client, f"/fhir/r5/{resource_type}/{resource_id}"))
            assert resource["id"] == resource_id
            assert resource == next(r for r in searched if r["id"] == resource_id)


def test_read_every_indication_and_side_effect_report_as_a_valid_resource(
    seeded_client: TestClient,
) -> None:
    uses = all_of(seeded_client, "ClinicalUseDefinition")
    indications = sum(len(t["indications"]) for t in SEED["therapies"])
    reports = sum(len(t["side_effects"]) for t in SEED["therapies"])
    assert [u["type"] for u in uses] == ["indication"] * indications + [
        "undesirable-effect"
    ] * reports
    for use in uses:
        assert validated(get(seeded_client, f"/fhir/r5/ClinicalUseDefinition/{use['id']}")) == use


def test_read_capability_statement_and_code_systems_valid(seeded_client: TestClient) -> None:
    statement = validated(get(seeded_client, "/fhir/r5/metadata"))
    assert statement["fhirVersion"] == "5.0.0"
    assert [r["type"] for r in statement["rest"][0]["resource"]] == [
        "Citation",
        "Evidence",
        "ClinicalUseDefinition",
        "SubstanceDefinition",
        "CodeSystem",
    ]
    for system_id in (
        "evidence-level",
        "comparison",
        "direction",
        "source-kind",
        "component-role",
        "frequency",
    ):
        system = validated(get(seeded_client, f"/fhir/r5/CodeSystem/{system_id}"))
        assert system["url"] == f"urn:treatment-kb:fhir:CodeSystem:{system_id}"


def test_search_with_include_summary_and_elements_valid(seeded_client: TestClient) -> None:
    for url in (
        "/fhir/r5/Evidence?_include=Evidence:citation&_count=100",
        "/fhir/r5/ClinicalUseDefinition?_include=ClinicalUseDefinition:citation&_count=100",
        "/fhir/r5/Evidence?_summary=count",
        "/fhir/r5/Citation?_summary=data",
    ):
        validated(get(seeded_client, url))
