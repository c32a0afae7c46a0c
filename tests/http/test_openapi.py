"""The OpenAPI document: tags, summaries, stable operationIds and declared problem responses."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

EXPECTED_OPERATIONS = {
    ("get", "/v1/search"): "list_search_hits",
    ("get", "/v1/body-regions"): "list_body_regions",
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
    ("get", "/v1/meta/access-log"): "read_access_log",
    ("post", "/v1/therapies"): "create_therapy",
    ("patch", "/v1/therapies/{slug}"): "update_therapy",
    ("put", "/v1/therapies/{slug}"): "replace_therapy",
    ("delete", "/v1/therapies/{slug}"): "delete_therapy",
    ("post", "/v1/conditions"): "create_condition",
    ("patch", "/v1/conditions/{slug}"): "update_condition",
    ("put", "/v1/conditions/{slug}"): "replace_condition",
    ("delete", "/v1/conditions/{slug}"): "delete_condition",
    ("post", "/v1/injectates"): "create_injectate",
    ("patch", "/v1/injectates/{slug}"): "update_injectate",
    ("put", "/v1/injectates/{slug}"): "replace_injectate",
    ("delete", "/v1/injectates/{slug}"): "delete_injectate",
    ("post", "/v1/side-effects"): "create_side_effect",
    ("patch", "/v1/side-effects/{slug}"): "update_side_effect",
    ("put", "/v1/side-effects/{slug}"): "replace_side_effect",
    ("delete", "/v1/side-effects/{slug}"): "delete_side_effect",
    ("post", "/v1/outcomes"): "create_outcome",
    ("patch", "/v1/outcomes/{slug}"): "update_outcome",
    ("put", "/v1/outcomes/{slug}"): "replace_outcome",
    ("delete", "/v1/outcomes/{slug}"): "delete_outcome",
    ("post", "/v1/sources"): "create_source",
    ("patch", "/v1/sources/{slug}"): "update_source",
    ("put", "/v1/sources/{slug}"): "replace_source",
    ("delete", "/v1/sources/{slug}"): "delete_source",
    ("get", "/v1/therapies/{slug}/indications/{id}"): "read_indication",
    ("post", "/v1/therapies/{slug}/indications"): "create_indication",
    ("patch", "/v1/therapies/{slug}/indications/{id}"): "update_indication",
    ("put", "/v1/therapies/{slug}/indications/{id}"): "replace_indication",
    ("delete", "/v1/therapies/{slug}/indications/{id}"): "delete_indication",
    ("get", "/v1/therapies/{slug}/injectate-uses/{id}"): "read_injectate_use",
    ("post", "/v1/therapies/{slug}/injectate-uses"): "create_injectate_use",
    ("patch", "/v1/therapies/{slug}/injectate-uses/{id}"): "update_injectate_use",
    ("put", "/v1/therapies/{slug}/injectate-uses/{id}"): "replace_injectate_use",
    ("delete", "/v1/therapies/{slug}/injectate-uses/{id}"): "delete_injectate_use",
    ("get", "/v1/therapies/{slug}/side-effect-reports/{id}"): "read_side_effect_report",
    ("post", "/v1/therapies/{slug}/side-effect-reports"): "create_side_effect_report",
    ("patch", "/v1/therapies/{slug}/side-effect-reports/{id}"): "update_side_effect_report",
    ("put", "/v1/therapies/{slug}/side-effect-reports/{id}"): "replace_side_effect_report",
    ("delete", "/v1/therapies/{slug}/side-effect-reports/{id}"): "delete_side_effect_report",
    ("get", "/v1/therapies/{slug}/facts/{id}"): "read_fact",
    ("post", "/v1/therapies/{slug}/facts"): "create_fact",
    ("patch", "/v1/therapies/{slug}/facts/{id}"): "update_fact",
    ("put", "/v1/therapies/{slug}/facts/{id}"): "replace_fact",
    ("delete", "/v1/therapies/{slug}/facts/{id}"): "delete_fact",
    ("get", "/v1/audit"): "list_audit_entries",
    ("get", "/v1/export"): "read_export",
    ("get", "/v1/changes"): "list_changes",
    ("get", "/v1/dataset"): "read_dataset",
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
        if path.startswith("/v1/") and path not in ("/v1/meta", "/v1/meta/access-log"):
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
        # Public reads: writes answer 201/204, the curation reads need a key, and the seed
        # gives no link id for the link reads.
        public_read = method == "get" and not operation["security"] and "{id}" not in path
        if path.startswith("/v1/") and public_read:
            content = operation["responses"]["200"]["content"]["application/json"]
            assert "example" in content, (method, path)


def test_openapi_document_is_valid(empty_client: TestClient) -> None:
    from openapi_spec_validator import validate

    document = empty_client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_openapi_declares_304_on_every_cached_get(empty_client: TestClient) -> None:
    from app.http.openapi import NO_STORE_PATHS

    document = empty_client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        if method == "get" and path not in NO_STORE_PATHS:
            assert "304" in operation["responses"], path
            if path.startswith("/v1/"):
                assert "ETag" in operation["responses"]["200"]["headers"], path


def test_openapi_export_declares_its_seed_document(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    for path in ("/v1/export", "/v1/dataset"):
        ok = document["paths"][path]["get"]["responses"]["200"]
        schema = ok["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/SeedDocument"}, path


def test_openapi_merge_patch_bodies_are_named_components(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    patches = [op for (method, _), op in operations(document).items() if method == "patch"]
    assert len(patches) == 10
    for operation in patches:
        body = operation["requestBody"]["content"]["application/merge-patch+json"]["schema"]
        name = body["$ref"].rsplit("/", 1)[-1]
        assert name.endswith("Patch") and "required" not in components[name], name


def test_openapi_optional_parameters_are_never_nullable(empty_client: TestClient) -> None:
    text = empty_client.get("/openapi.json").text
    document = json.loads(text)
    for key, operation in operations(document).items():
        for parameter in operation.get("parameters", []):
            assert {"type": "null"} not in parameter["schema"].get("anyOf", []), (key, parameter)


def test_openapi_names_sort_enums_and_pages(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    assert not [name for name in components if name.startswith("Page_")]
    sorts = 0
    for key, operation in operations(document).items():
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "sort":
                name = parameter["schema"]["$ref"].rsplit("/", 1)[-1]
                assert name.endswith("Sort") and "-slug" in components[name]["enum"], key
                sorts += 1
    assert sorts == 7
    ok = operations(document)[("get", "/v1/therapies")]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/TherapyListPage")


def test_openapi_no_store_reads_declare_what_they_send(
    seeded_client: TestClient, editor: dict[str, str]
) -> None:
    from app.http.openapi import NO_STORE_PATHS

    document = seeded_client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        if method != "get" or "{" in path:
            continue
        query = "?q=knee" if path == "/v1/search" else ""
        response = seeded_client.get(path + query, headers=editor)
        declared = operation["responses"]["200"]["headers"]
        assert response.status_code == 200, (path, response.text)
        if path in NO_STORE_PATHS:
            assert response.headers["cache-control"] == "no-store", path
            assert "etag" not in response.headers, path
            assert "ETag" not in declared and "304" not in operation["responses"], path
        else:
            assert "etag" in response.headers and "ETag" in declared, path


def test_openapi_if_match_is_required_where_its_absence_is_428(
    seeded_client: TestClient, editor: dict[str, str]
) -> None:
    document = seeded_client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        if method in ("patch", "put", "delete"):
            (if_match,) = [p for p in operation["parameters"] if p["name"] == "If-Match"]
            assert if_match["required"] is True and if_match["schema"]["type"] == "string", path
    slug = document["paths"]["/v1/sources/{slug}"]["get"]["parameters"][0]["example"]
    response = seeded_client.patch(f"/v1/sources/{slug}", json={"year": 2001}, headers=editor)
    assert response.status_code == 428


def test_openapi_has_examples_for_path_parameters_and_every_200(
    seeded_client: TestClient,
) -> None:
    document = seeded_client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        values = {}
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert "example" in parameter, (method, path, parameter["name"])
                values[parameter["name"]] = parameter["example"]
        ok = operation["responses"].get("200")
        if ok is not None:
            assert ok["content"]["application/json"].get("example") is not None, (method, path)
        if method == "get" and values:
            # The example parameters name records the seed really has.
            response = seeded_client.get(path.format(**values))
            assert response.status_code == 200, (path, values)


def test_openapi_types_the_audit_records(empty_client: TestClient) -> None:
    document = empty_client.get("/openapi.json").json()
    entry = document["components"]["schemas"]["AuditEntryPublic"]["properties"]
    for side in ("before", "after"):
        record = next(option for option in entry[side]["anyOf"] if option.get("type") == "object")
        assert {"slug", "therapy", "add", "changes"} <= set(record["properties"]), side
