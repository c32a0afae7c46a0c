"""Every error is application/problem+json, names what is wrong, and leaks nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.main import create_app

LIST_PATHS = [
    "/v1/therapies",
    "/v1/conditions",
    "/v1/injectates",
    "/v1/side-effects",
    "/v1/outcomes",
    "/v1/sources",
]


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_refuses_unknown_query_parameter(client: TestClient, path: str) -> None:
    response = client.get(path, params={"limit": 5, "colour": "blue", "conditon": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "Unknown query parameter(s): colour, conditon."
    assert [p["name"] for p in body["invalid_params"]] == ["colour", "conditon"]
    assert all(p["location"] == "query" for p in body["invalid_params"])


@pytest.mark.parametrize("path", LIST_PATHS)
def test_list_refuses_limit_above_maximum(client: TestClient, path: str) -> None:
    response = client.get(path, params={"limit": 1000})
    assert response.status_code == 422
    assert response.json()["invalid_params"] == [
        {
            "name": "limit",
            "reason": "Input should be less than or equal to 100",
            "location": "query",
        }
    ]


def test_unknown_path_is_problem_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No resource at /v1/nothing-here."


def test_wrong_method_is_problem_405(client: TestClient) -> None:
    response = client.delete("/v1/therapies")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "DELETE is not allowed on /v1/therapies."


def test_slug_filter_pattern_is_enforced(client: TestClient) -> None:
    response = client.get("/v1/therapies", params={"condition": "Robert'); DROP TABLE--"})
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "condition"


def test_unexpected_error_is_plain_500(settings: Settings, engine: Engine) -> None:
    app = create_app(settings, engine=engine)

    def explode() -> None:
        raise RuntimeError("secret detail: SELECT * FROM sources at /srv/app.py")

    app.add_api_route("/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/explode")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/internal-server-error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The server could not answer this request.",
        "instance": "/explode",
    }
    assert response.headers["cache-control"] == "no-store"
