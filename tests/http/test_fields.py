"""`fields=` on every list and detail, and `view=summary` on a condition's therapies."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.models import ConditionTherapiesBriefPage
from tests.curation import assert_problem
from tests.http.test_openapi import operations

LISTS_AND_DETAILS = [
    ("/v1/therapies", "slug,name"),
    ("/v1/therapies/prolotherapy", "slug,aliases"),
    ("/v1/conditions", "slug,name"),
    ("/v1/conditions/knee-osteoarthritis", "slug,name"),
    ("/v1/conditions/knee-osteoarthritis/therapies", "therapy,best_evidence_level"),
    ("/v1/body-regions", "slug"),
    ("/v1/injectates", "slug"),
    ("/v1/injectates/dextrose-5", "slug,name"),
    ("/v1/side-effects", "slug,serious"),
    ("/v1/side-effects/bruising", "slug"),
    ("/v1/outcomes", "slug,evidence_level"),
    ("/v1/outcomes/trial-2013-womac", "slug,measure"),
    ("/v1/sources", "slug,year"),
    ("/v1/sources/trial-2013", "slug,title"),
    ("/v1/search?q=knee", "type,slug"),
]


@pytest.mark.parametrize(("url", "fields"), LISTS_AND_DETAILS)
def test_fields_keep_only_the_named_fields(client: TestClient, url: str, fields: str) -> None:
    joiner = "&" if "?" in url else "?"
    full = client.get(url)
    cut = client.get(f"{url}{joiner}fields={fields}")
    assert full.status_code == cut.status_code == 200
    names = fields.split(",")
    if "items" in full.json():
        assert cut.json()["total"] == full.json()["total"]
        assert cut.json()["items"] == [
            {name: item[name] for name in names if name in item} for item in full.json()["items"]
        ]
        assert cut.json()["items"], url
        assert "fields=" in cut.json()["links"]["self"]
    else:
        assert cut.json() == {name: full.json()[name] for name in names}
    assert cut.headers["etag"] != full.headers["etag"]


def test_fields_follow_dotted_paths_into_nested_objects(client: TestClient) -> None:
    response = client.get("/v1/outcomes?fields=slug,source.slug,therapy.name")
    assert response.status_code == 200
    for item in response.json()["items"]:
        assert set(item) == {"slug", "source", "therapy"}
        assert set(item["source"]) == {"slug"} and set(item["therapy"]) == {"name"}
    nested_list = client.get("/v1/therapies/prolotherapy?fields=slug,facts.id")
    assert nested_list.status_code == 200
    assert all(set(fact) == {"id"} for fact in nested_list.json()["facts"])


def test_fields_unknown_name_is_a_422_naming_it(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/therapies?fields=slug,nmae"), 422)
    (param,) = body["invalid_params"]
    assert param["name"] == "fields" and "nmae" in param["reason"]
    assert "name" in param["reason"]  # the fields there are
    assert_problem(client.get("/v1/therapies/prolotherapy?fields=source.slug"), 422)
    assert_problem(client.get("/v1/therapies?fields=,"), 422)


def test_fields_are_part_of_the_cache_key_and_etag(client: TestClient) -> None:
    first = client.get("/v1/sources?fields=slug")
    second = client.get("/v1/sources?fields=title")
    assert first.json()["items"] != second.json()["items"]
    again = client.get("/v1/sources?fields=slug", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_fields_keep_the_record_etag_for_writes(client: TestClient) -> None:
    full = client.get("/v1/sources/trial-2013")
    cut = client.get("/v1/sources/trial-2013?fields=slug")
    # The record's own version tag (after `;`), which If-Match checks, is the same.
    assert full.headers["etag"].split(";")[1] == cut.headers["etag"].split(";")[1]


def test_fields_declared_on_every_list_and_detail(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for (method, path), operation in operations(document).items():
        if method != "get" or not path.startswith("/v1/"):
            continue
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        expected = path not in ("/v1/export", "/v1/dataset", "/v1/meta", "/v1/meta/access-log")
        assert ("fields" in names) is expected, path


def test_summary_view_says_condition_and_therapy_once(seeded_client: TestClient) -> None:
    url = "/v1/conditions/knee-osteoarthritis/therapies?limit=100"
    full = seeded_client.get(url)
    summary = seeded_client.get(f"{url}&view=summary")
    assert full.status_code == summary.status_code == 200
    assert summary.json()["condition"] == full.json()["condition"]
    for brief, item in zip(summary.json()["items"], full.json()["items"], strict=True):
        assert brief["therapy"] == item["therapy"]
        assert brief["evidence_summary"] == item["evidence_summary"]
        for nested in ("indications", "injectates", "outcomes", "side_effects"):
            assert len(brief[nested]) == len(item[nested])
            for element in brief[nested]:
                assert "therapy" not in element and "condition" not in element
                assert set(element["source"]) == {"slug"}
    assert summary.headers["etag"] != full.headers["etag"]


def test_summary_view_is_at_most_a_quarter_of_the_largest_answer(
    seeded_client: TestClient,
) -> None:
    sizes = {}
    conditions = seeded_client.get("/v1/conditions?limit=100&fields=slug").json()["items"]
    for condition in conditions:
        url = f"/v1/conditions/{condition['slug']}/therapies?limit=100"
        sizes[url] = len(seeded_client.get(url, headers={"Accept-Encoding": "identity"}).content)
    largest = max(sizes, key=lambda url: sizes[url])
    summary = seeded_client.get(f"{largest}&view=summary", headers={"Accept-Encoding": "identity"})
    assert summary.status_code == 200
    assert len(summary.content) * 4 <= sizes[largest], (largest, len(summary.content))


def test_summary_view_and_unknown_view(client: TestClient) -> None:
    response = client.get("/v1/conditions/knee-osteoarthritis/therapies?view=brief")
    assert_problem(response, 422)


def test_summary_view_is_its_models_serialization(seeded_client: TestClient) -> None:
    url = "/v1/conditions/knee-osteoarthritis/therapies?view=summary"
    body = seeded_client.get(url).json()
    assert body["items"]
    assert ConditionTherapiesBriefPage.model_validate(body).model_dump(mode="json") == body


def test_fields_repeated_is_the_same_as_comma_separated(client: TestClient) -> None:
    joined = client.get("/v1/sources?fields=slug,year")
    repeated = client.get("/v1/sources?fields=slug&fields=year")
    assert joined.status_code == repeated.status_code == 200
    assert joined.json()["items"] == repeated.json()["items"]


def test_fields_declared_as_the_names_there_are(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operation = operations(document)[("get", "/v1/outcomes")]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "fields"]
    assert parameter["style"] == "form" and parameter["explode"] is False
    names = parameter["schema"]["items"]["enum"]
    assert {"slug", "source.slug", "therapy.name"} <= set(names)
