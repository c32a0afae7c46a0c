"""The OpenAPI document: tags, summaries, stable operationIds and declared problem responses."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

EXPECTED_OPERATIONS = {
    ("get", "/v1/therapies"): "list_therapies",
    ("get", "/v1/therapies/{slug}"): "read_therapy",
    ("get", "/v1/conditions"): "list_conditions",
    ("get", "/v1/conditions/{slug}"): "read_condition",
    ("get", "/v1/conditions/{slug}/therapies"): "read_condition_therapies",
    ("get", "/v1/injectates"): "list_injectates",
    ("get", "/v1/injectates/{slug}"): "read_injectate",
    ("get", "/v1/side-effects"): "list_side_effects",
    ("get", "/v1/side-effects/{slug}"): "read_side_effect",
    ("get", "/v1/outcomes"): "list_outcomes",
    ("get", "/v1/outcomes/{slug}"): "read_outcome",
    ("get", "/v1/sources"): "list_sources",
    ("get", "/v1/sources/{slug}"): "read_source",
    ("get", "/v1/meta"): "read_meta",
    ("get", "/healthz"): "read_health",
    ("get", "/readyz"): "read_readiness",
}


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_openapi_has_stable_operation_ids(empty_client: TestClient) -> None:
    response = empty_client.get("/openapi.json")
    assert response.status_code == 200
    found = {key: op["operationId"] for key, op in operations(response.json()).items()}
    assert found == EXPECTED_OPERATIONS


def test_openapi_every_operation_has_summary_and_described_tag(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    for key, operation in operations(document).items():
        assert operation.get("summary"), key
        assert operation["tags"] and set(operation["tags"]) <= described, key


def test_openapi_declares_problem_responses(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    for (_, path), operation in operations(document).items():
        if "{slug}" in path:
            problem = operation["responses"]["404"]["content"]["application/problem+json"]
            assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}, path
        if path.startswith("/v1/") and path != "/v1/meta":
            assert "422" in operation["responses"], path


def test_openapi_examples_come_from_the_seed(empty_client: TestClient) -> None:
    import json

    from tests.conftest import SEED_FILE

    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    first_therapy = min(therapy["slug"] for therapy in seed["therapies"])
    document = empty_client.get("/openapi.json").json()
    found = operations(document)
    detail = found[("get", "/v1/therapies/{slug}")]["responses"]["200"]["content"]
    assert detail["application/json"]["example"]["slug"] == first_therapy
    listing = found[("get", "/v1/conditions")]["responses"]["200"]["content"]
    assert listing["application/json"]["example"]["limit"] == 2
    assert len(listing["application/json"]["example"]["items"]) == 2
    for (method, path), operation in found.items():
        if path.startswith("/v1/"):
            content = operation["responses"]["200"]["content"]["application/json"]
            assert "example" in content, (method, path)


def test_openapi_document_is_valid(empty_client: TestClient) -> None:
    from openapi_spec_validator import validate

    document = empty_client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_openapi_declares_304_on_every_get(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        if method == "get":
            assert "304" in operation["responses"], path
            if path.startswith("/v1/"):
                assert "ETag" in operation["responses"]["200"]["headers"], path
