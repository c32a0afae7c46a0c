"""/fhir/r5: searches and their parameters, paging, _include, _summary, _elements, errors as
OperationOutcomes, ETags and versions, on the curated knowledge base (data/seed.json)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from app.fhir.terms import fhir_id
from tests.conftest import SEED_FILE
from tests.http.test_cache import cache_layer

SEED = json.loads(SEED_FILE.read_text(encoding="utf-8"))
FHIR = "application/fhir+json"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
MESH = "https://www.nlm.nih.gov/mesh"


def bundle(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR
    found: dict[str, Any] = response.json()
    assert found["resourceType"] == "Bundle"
    assert found["type"] == "searchset"
    return found


def ids(found: dict[str, Any], mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in found.get("entry", []) if e["search"]["mode"] == mode]


def link(found: dict[str, Any], relation: str) -> str | None:
    return next((x["url"] for x in found["link"] if x["relation"] == relation), None)


def outcome(error: Any, status: int, code: str) -> dict[str, Any]:
    assert error.status_code == status, error.text
    assert error.headers["content-type"] == FHIR
    body: dict[str, Any] = error.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    assert body["issue"][0]["code"] == code
    return body


def test_search_evidence_by_condition_follows_next_to_every_match(
    seeded_client: TestClient,
) -> None:
    expected = sorted(
        fhir_id(o["slug"]) for o in SEED["outcomes"] if o.get("condition") == "knee-osteoarthritis"
    )
    first = bundle(seeded_client, "/fhir/r5/Evidence?condition=knee-osteoarthritis&_count=4")
    assert first["total"] == len(expected) == 10
    assert len(ids(first)) == 4
    assert link(first, "previous") is None
    second_url = link(first, "next")
    assert second_url is not None and "_offset=4" in second_url
    seen = ids(first)
    url: str | None = second_url
    while url:
        page = bundle(seeded_client, url.removeprefix("http://testserver"))
        assert link(page, "previous") is not None
        seen += ids(page)
        url = link(page, "next")
    assert sorted(seen) == expected
    for entry in first["entry"]:
        contexts = entry["resource"]["useContext"]
        codes = [c["code"] for ctx in contexts for c in ctx["valueCodeableConcept"]["coding"]]
        assert "knee-osteoarthritis" in codes


def test_search_evidence_by_therapy_and_condition(seeded_client: TestClient) -> None:
    expected = sorted(
        fhir_id(o["slug"])
        for o in SEED["outcomes"]
        if o["therapy"] == "prolotherapy" and o.get("condition") == "low-back-pain"
    )
    found = bundle(
        seeded_client, "/fhir/r5/Evidence?therapy=prolotherapy&condition=low-back-pain&_count=100"
    )
    assert sorted(ids(found)) == expected and found["total"] == len(expected)
    assert bundle(seeded_client, "/fhir/r5/Evidence?therapy=no-such-therapy")["total"] == 0


def test_search_evidence_include_adds_each_cited_citation_once(seeded_client: TestClient) -> None:
    found = bundle(
        seeded_client,
        "/fhir/r5/Evidence?condition=knee-osteoarthritis&_count=100&_include=Evidence:citation",
    )
    cited = [
        e["resource"]["citeAsReference"]["reference"]
        for e in found["entry"]
        if e["search"]["mode"] == "match"
    ]
    included = ids(found, "include")
    assert sorted(f"Citation/{i}" for i in included) == sorted(set(cited))
    assert found["total"] == 10  # included resources are not counted


def test_practitioner_claim_is_never_a_study_result(seeded_client: TestClient) -> None:
    claims = [o for o in SEED["outcomes"] if o["evidence_level"] == "practitioner-claim"]
    assert claims
    for claim in claims:
        resource = seeded_client.get(f"/fhir/r5/Evidence/{fhir_id(claim['slug'])}").json()
        assert "statistic" not in resource
        assert resource["assertion"] == claim["finding"]
        design = resource["studyDesign"][0]["coding"]
        assert [c["code"] for c in design] == ["practitioner-claim"]
    rct = next(o for o in SEED["outcomes"] if o["evidence_level"] == "rct")
    resource = seeded_client.get(f"/fhir/r5/Evidence/{fhir_id(rct['slug'])}").json()
    assert "assertion" not in resource and resource["statistic"]
    assert {
        "system": "http://terminology.hl7.org/CodeSystem/study-type",
        "code": "RCT",
        "display": "randomized trial",
    } in resource["studyDesign"][0]["coding"]


def test_read_evidence_with_a_slug_longer_than_a_fhir_id(seeded_client: TestClient) -> None:
    long = next(o for o in SEED["outcomes"] if len(o["slug"]) > 64)
    resource_id = fhir_id(long["slug"])
    assert len(resource_id) == 64 and "." in resource_id
    found = seeded_client.get(f"/fhir/r5/Evidence/{resource_id}")
    assert found.status_code == 200
    assert found.json()["identifier"][0]["value"] == long["slug"]
    wrong = resource_id[:-1] + ("0" if resource_id[-1] != "0" else "1")
    outcome(seeded_client.get(f"/fhir/r5/Evidence/{wrong}"), 404, "not-found")


def test_search_clinical_use_by_type_subject_indication_and_effect(
    seeded_client: TestClient,
) -> None:
    therapy = next(t for t in SEED["therapies"] if t["slug"] == "prolotherapy")
    found = bundle(
        seeded_client, "/fhir/r5/ClinicalUseDefinition?type=indication&subject=prolotherapy"
    )
    assert found["total"] == len(therapy["indications"])
    # An ICD-10-CM code finds the indications of the condition that carries it.
    achilles = [
        i
        for t in SEED["therapies"]
        for i in t["indications"]
        if i["condition"] == "achilles-tendinopathy"
    ]
    by_icd = bundle(seeded_client, f"/fhir/r5/ClinicalUseDefinition?indication={ICD}|M76.61")
    assert by_icd["total"] == len(achilles) > 0
    for entry in by_icd["entry"]:
        codings = entry["resource"]["indication"]["diseaseSymptomProcedure"]["concept"]["coding"]
        assert {
            "system": ICD,
            "code": "M76.61",
            "display": "Achilles tendinitis, right leg",
        } in codings
    by_slug = bundle(
        seeded_client, "/fhir/r5/ClinicalUseDefinition?indication=achilles-tendinopathy"
    )
    assert ids(by_slug) == ids(by_icd)
    bruising = [
        r
        for t in SEED["therapies"]
        for r in t["side_effects"]
        if r["side_effect"] == "injection-site-bruising"
    ]
    effects = bundle(seeded_client, "/fhir/r5/ClinicalUseDefinition?effect=injection-site-bruising")
    assert effects["total"] == len(bruising) == 4
    assert {e["resource"]["type"] for e in effects["entry"]} == {"undesirable-effect"}
    everything = bundle(seeded_client, "/fhir/r5/ClinicalUseDefinition?_count=0")
    indications = sum(len(t["indications"]) for t in SEED["therapies"])
    reports = sum(len(t["side_effects"]) for t in SEED["therapies"])
    assert everything["total"] == indications + reports
    # A page that spans both kinds: the last indications, then the first reports.
    spanning = bundle(
        seeded_client, f"/fhir/r5/ClinicalUseDefinition?_count=4&_offset={indications - 2}"
    )
    assert [e["resource"]["type"] for e in spanning["entry"]] == ["indication"] * 2 + [
        "undesirable-effect"
    ] * 2


def test_search_citation_by_identifier(seeded_client: TestClient) -> None:
    source = next(s for s in SEED["sources"] if s.get("doi") and s.get("pmid"))
    for query in (
        f"https://doi.org|{source['doi']}",
        source["doi"],
        f"https://pubmed.ncbi.nlm.nih.gov|{source['pmid']}",
        source["pmid"],
        source["slug"],
    ):
        found = bundle(seeded_client, f"/fhir/r5/Citation?identifier={query}")
        assert ids(found) == [source["slug"]], query
    assert (
        bundle(seeded_client, f"/fhir/r5/Citation?identifier=http://other|{source['doi']}")["total"]
        == 0
    )
    resource = bundle(seeded_client, f"/fhir/r5/Citation?identifier={source['doi']}")["entry"][0][
        "resource"
    ]
    assert {"system": "https://doi.org", "value": source["doi"]} in resource["citedArtifact"][
        "identifier"
    ]


def test_search_summary_count_true_and_elements(seeded_client: TestClient) -> None:
    counted = bundle(seeded_client, "/fhir/r5/Evidence?_summary=count")
    assert counted["total"] == len(SEED["outcomes"]) and "entry" not in counted
    summary = bundle(seeded_client, "/fhir/r5/Evidence?_summary=true&_count=1")["entry"][0][
        "resource"
    ]
    assert "statistic" not in summary and "description" not in summary and summary["title"]
    assert {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "code": "SUBSETTED",
    } in summary["meta"]["tag"]
    elements = bundle(seeded_client, "/fhir/r5/Citation?_elements=title&_count=1")["entry"][0][
        "resource"
    ]
    assert set(elements) == {"resourceType", "id", "meta", "title"}


def test_fhir_errors_are_operation_outcomes(seeded_client: TestClient) -> None:
    outcome(seeded_client.get("/fhir/r5/Patient"), 404, "not-supported")
    outcome(seeded_client.get("/fhir/r5/Evidence/no-such-outcome"), 404, "not-found")
    outcome(seeded_client.get("/fhir/r5/Evidence/not_an_id"), 400, "invalid")
    body = outcome(seeded_client.get("/fhir/r5/Evidence?colour=red"), 400, "not-supported")
    assert "colour" in body["issue"][0]["diagnostics"]
    outcome(seeded_client.get("/fhir/r5/Evidence?_count=101"), 400, "value")
    # An unknown result parameter changes no match: left out, and the self link says so.
    ignored = bundle(seeded_client, "/fhir/r5/Evidence?_total=accurate&_count=1")
    assert "_total" not in (link(ignored, "self") or "")
    outcome(seeded_client.get("/fhir/r5/Evidence?_include=Citation:x"), 400, "not-supported")
    outcome(seeded_client.get("/fhir/r5/ClinicalUseDefinition?type=warning"), 400, "value")
    outcome(seeded_client.get("/fhir/r5/Evidence?_format=xml"), 406, "not-supported")
    outcome(seeded_client.post("/fhir/r5/Evidence", json={}), 405, "not-supported")
    outcome(seeded_client.get("/fhir/r5/Evidence/a/b"), 404, "not-found")
    # The rest of the API keeps problem+json.
    assert (
        seeded_client.get("/v1/outcomes/nope").headers["content-type"] == "application/problem+json"
    )


def test_read_etag_and_version_follow_the_record(
    seeded_client: TestClient, editor: dict[str, str]
) -> None:
    slug = SEED["outcomes"][0]["slug"]
    first = seeded_client.get(f"/fhir/r5/Evidence/{slug}")
    assert first.status_code == 200
    assert first.json()["meta"]["versionId"] == "1"
    assert first.headers["etag"].endswith(f';Evidence/{slug}/v1"')
    again = seeded_client.get(
        f"/fhir/r5/Evidence/{slug}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    api = seeded_client.get(f"/v1/outcomes/{slug}")
    patched = seeded_client.patch(
        f"/v1/outcomes/{slug}",
        json={"quote": "A new locator."},
        headers=editor
        | {"If-Match": api.headers["etag"], "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    second = seeded_client.get(
        f"/fhir/r5/Evidence/{slug}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert second.status_code == 200
    assert second.json()["meta"]["versionId"] == "2"
    assert second.headers["etag"].endswith(f';Evidence/{slug}/v2"')
    assert {"text": "Quote: A new locator."} in second.json()["note"]


def test_search_is_cached_and_compressed_like_the_json_api(seeded_client: TestClient) -> None:
    layer = cache_layer(seeded_client.app)
    url = "/fhir/r5/Evidence?_count=20"
    before = len(layer.cache)
    first = seeded_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200
    assert first.headers["content-encoding"] == "gzip"
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert len(layer.cache) == before + 1
    again = seeded_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert again.headers["etag"] == first.headers["etag"]
    assert again.content == first.content
    assert len(layer.cache) == before + 1
    error = seeded_client.get("/fhir/r5/Evidence?colour=red")
    assert error.headers["cache-control"] == "no-store"


def test_conditions_carry_the_mesh_descriptor_they_cite(seeded_client: TestClient) -> None:
    knee = bundle(seeded_client, "/fhir/r5/Evidence?condition=knee-osteoarthritis&_count=1")
    contexts = knee["entry"][0]["resource"]["useContext"]
    codings = [c for ctx in contexts for c in ctx["valueCodeableConcept"]["coding"]]
    assert {"system": MESH, "code": "D020370", "display": "Osteoarthritis, Knee"} in codings
    # A condition without a heading of its own gets no MeSH coding.
    achilles = bundle(
        seeded_client, "/fhir/r5/ClinicalUseDefinition?indication=achilles-tendinopathy"
    )
    for entry in achilles["entry"]:
        concept = entry["resource"]["indication"]["diseaseSymptomProcedure"]["concept"]
        assert MESH not in {c["system"] for c in concept["coding"]}
    by_mesh = bundle(seeded_client, f"/fhir/r5/ClinicalUseDefinition?indication={MESH}|D020370")
    by_slug = bundle(seeded_client, "/fhir/r5/ClinicalUseDefinition?indication=knee-osteoarthritis")
    assert ids(by_mesh) == ids(by_slug) and by_mesh["total"] > 0
