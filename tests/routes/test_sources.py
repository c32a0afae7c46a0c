"""/v1/sources"""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_sources_filters_by_kind_and_year(client: TestClient) -> None:
    response = client.get("/v1/sources", params={"kind": "journal-article"})
    assert response.status_code == 200
    assert [s["slug"] for s in response.json()["items"]] == ["trial-2013"]
    assert client.get("/v1/sources", params={"year": 2013}).json()["total"] == 1
    assert client.get("/v1/sources", params={"kind": "blog"}).status_code == 422


def test_read_source_lists_every_citing_record(client: TestClient) -> None:
    response = client.get("/v1/sources/clinic-page")
    assert response.status_code == 200
    cited = response.json()["cited_by"]
    assert [t["slug"] for t in cited["therapies"]] == ["perineural-injection-therapy"]
    assert [c["slug"] for c in cited["conditions"]] == ["achilles-tendinopathy"]
    assert [i["slug"] for i in cited["injectates"]] == ["dextrose-5"]
    assert [s["slug"] for s in cited["side_effects"]] == ["bruising"]
    assert [o["slug"] for o in cited["outcomes"]] == ["pit-achilles-claim", "pit-success-claim"]
    assert [i["condition"]["slug"] for i in cited["indications"]] == ["achilles-tendinopathy"]
    assert [u["injectate"]["slug"] for u in cited["injectate_uses"]] == ["dextrose-5"]
    assert [r["side_effect"]["slug"] for r in cited["side_effect_reports"]] == ["bruising"]
    assert [f["statement"] for f in cited["facts"]] == ["Developed in New Zealand."]


def test_read_source_missing_is_404(client: TestClient) -> None:
    assert client.get("/v1/sources/nowhere").status_code == 404
