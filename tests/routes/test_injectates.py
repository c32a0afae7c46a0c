"""/v1/injectates"""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_injectates_filters_by_therapy(client: TestClient) -> None:
    response = client.get("/v1/injectates", params={"therapy": "prolotherapy"})
    assert response.status_code == 200
    assert [i["slug"] for i in response.json()["items"]] == ["dextrose-25"]
    everything = client.get("/v1/injectates").json()
    assert [i["slug"] for i in everything["items"]] == ["dextrose-5", "dextrose-25"]


def test_read_injectate_shows_components_and_uses(client: TestClient) -> None:
    response = client.get("/v1/injectates/dextrose-25")
    assert response.status_code == 200
    body = response.json()
    assert body["components"][0] == {
        "substance": "dextrose",
        "concentration_min_pct": 12.5,
        "concentration_max_pct": 25.0,
        "role": "proliferant",
    }
    assert [t["slug"] for t in body["therapies"]] == ["prolotherapy"]
    use = body["uses"][0]
    assert use["condition"]["slug"] == "knee-osteoarthritis"
    assert (use["concentration_min_pct"], use["concentration_max_pct"]) == (15.0, 25.0)


def test_read_injectate_missing_is_404(client: TestClient) -> None:
    response = client.get("/v1/injectates/saline")
    assert response.status_code == 404
    assert response.json()["detail"] == "No injectate with slug 'saline'."
