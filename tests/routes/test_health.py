"""/healthz and /readyz"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text


def test_read_health_is_ok_without_data(empty_client: TestClient) -> None:
    response = empty_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_read_readiness_needs_seed(empty_client: TestClient) -> None:
    response = empty_client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "not loaded" in response.json()["detail"]


def test_read_readiness_ready_when_seeded(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "read_only": False, "replicas": []}


def test_read_readiness_needs_current_schema(client: TestClient, engine: Engine) -> None:
    with engine.begin() as connection:
        # One row per head: replace them all (there may be several branches).
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES ('old')"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "schema" in response.json()["detail"]
