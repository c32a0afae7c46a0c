"""Every list as CSV (RFC 4180) and NDJSON, with the JSON list's filters and order."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.curation import assert_problem
from tests.http.test_openapi import operations

LISTS = [
    "/v1/therapies",
    "/v1/conditions",
    "/v1/conditions/knee-osteoarthritis/therapies",
    "/v1/body-regions",
    "/v1/injectates",
    "/v1/side-effects",
    "/v1/outcomes",
    "/v1/sources",
    "/v1/search?q=knee",
]


def flatten(item: dict[str, Any], header: list[str]) -> dict[str, str]:
    """An item as its CSV row is documented: a nested object's fields in dotted columns (empty
    when it is null), lists and deeper values as JSON text, null empty, `true`/`false`."""

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return str(value)

    row: dict[str, str] = {}
    for column in header:
        value: Any = item
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        row[column] = cell(value)
    assert {column.split(".")[0] for column in header} == set(item)
    return row


def every_item(client: TestClient, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    joiner = "&" if "?" in url else "?"
    while True:
        page = client.get(f"{url}{joiner}limit=2&offset={len(items)}").json()
        items += page["items"]
        if page["links"]["next"] is None:
            return items


@pytest.mark.parametrize("url", LISTS)
def test_csv_parsed_by_python_equals_the_json_list(client: TestClient, url: str) -> None:
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.endswith(b"\r\n")  # RFC 4180 line ends
    reader = csv.DictReader(io.StringIO(response.text, newline=""))
    rows = list(reader)
    expected = [flatten(item, list(reader.fieldnames or [])) for item in every_item(client, url)]
    assert rows and rows == expected, url


@pytest.mark.parametrize("url", LISTS)
def test_ndjson_lines_are_the_json_items(client: TestClient, url: str) -> None:
    response = client.get(url, headers={"Accept": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines == every_item(client, url)


def test_csv_by_accept_header_with_filters_order_and_fields(client: TestClient) -> None:
    url = "/v1/outcomes?sort=-evidence&therapy=perineural-injection-therapy"
    response = client.get(
        f"{url}&fields=slug,source.slug", headers={"Accept": "text/csv, application/json;q=0.5"}
    )
    assert response.status_code == 200 and response.text.startswith("slug,source.slug\r\n")
    rows = list(csv.reader(io.StringIO(response.text, newline="")))[1:]
    expected = [[item["slug"], item["source"]["slug"]] for item in every_item(client, url)]
    assert rows == expected


def test_a_page_as_csv_is_cached_and_tagged(client: TestClient) -> None:
    first = client.get("/v1/sources?format=csv&limit=1")
    assert first.status_code == 200 and "etag" in first.headers
    assert len(first.text.splitlines()) == 2  # header and one row
    assert 'rel="next"' in first.headers["link"]
    again = client.get(
        "/v1/sources?format=csv&limit=1", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    as_json = client.get("/v1/sources?limit=1")
    assert as_json.headers["content-type"] == "application/json"
    by_accept = client.get("/v1/sources?limit=1", headers={"Accept": "text/csv"})
    assert by_accept.text == first.text  # the cache keeps the formats apart
    assert "Accept" in by_accept.headers["vary"]


def test_a_whole_list_is_streamed_and_not_stored(client: TestClient) -> None:
    with client.stream("GET", "/v1/outcomes?format=ndjson") as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers
        assert response.headers["cache-control"] == "no-store"
        lines = [line for line in response.iter_lines() if line]
    assert len(lines) == client.get("/v1/outcomes").json()["total"]


def test_unknown_format_is_a_422_and_details_stay_json(client: TestClient) -> None:
    assert_problem(client.get("/v1/therapies?format=xml"), 422)
    assert_problem(client.get("/v1/therapies/prolotherapy?format=csv"), 422)
    detail = client.get("/v1/therapies/prolotherapy", headers={"Accept": "text/csv"})
    assert detail.headers["content-type"] == "application/json"


def test_formats_declared_on_every_list(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        if method == "get" and "format" in names:
            content = operation["responses"]["200"]["content"]
            assert {"text/csv", "application/x-ndjson"} <= set(content), path
    lists = [path for path in LISTS if "?" not in path]
    for path in lists:
        doc_path = path.replace("knee-osteoarthritis", "{slug}")
        names = {p["name"] for p in operations(document)[("get", doc_path)]["parameters"]}
        assert "format" in names, path
