"""/v1/side-effects"""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_side_effects_filters_by_therapy_and_seriousness(client: TestClient) -> None:
    response = client.get("/v1/side-effects", params={"therapy": "perineural-injection-therapy"})
    assert response.status_code == 200
    assert [s["slug"] for s in response.json()["items"]] == ["bruising"]
    serious = client.get("/v1/side-effects", params={"serious": "true"}).json()
    assert [s["slug"] for s in serious["items"]] == ["pneumothorax"]


def test_read_side_effect_lists_reports_with_frequency(client: TestClient) -> None:
    response = client.get("/v1/side-effects/pneumothorax")
    assert response.status_code == 200
    body = response.json()
    assert body["serious"] is True
    assert [(r["therapy"]["slug"], r["frequency"]) for r in body["reports"]] == [
        ("prolotherapy", "rare")
    ]


def test_read_side_effect_missing_is_404(client: TestClient) -> None:
    response = client.get("/v1/side-effects/nausea")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
