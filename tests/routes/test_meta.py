"""/v1/meta"""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_read_meta_counts_records_and_states_disclaimer(client: TestClient) -> None:
    response = client.get("/v1/meta")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {
        "therapies": 2,
        "conditions": 2,
        "injectates": 2,
        "side_effects": 2,
        "outcomes": 3,
        "sources": 2,
    }
    assert body["dataset_version"] == 1
    assert body["last_updated"].endswith("Z")
    assert "not medical advice" in body["disclaimer"]


def test_read_meta_empty_database(empty_client: TestClient) -> None:
    body = empty_client.get("/v1/meta").json()
    assert body["dataset_version"] == 0
    assert body["counts"]["therapies"] == 0
