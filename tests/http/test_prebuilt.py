"""Every route that sends JSON the database wrote (response_class=PrebuiltJSON) sends bodies
its declared model accepts and writes back the same, field for field and in the model's
order, for every record of the curated seed (both engines: CI runs this on each)."""

from __future__ import annotations

import json
from typing import Any, get_args

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app.http.prebuilt import PrebuiltJSON
from tests.conftest import SEED_FILE

SEED = json.loads(SEED_FILE.read_text(encoding="utf-8"))
RESOURCES = {
    "therapies": "therapies",
    "conditions": "conditions",
    "injectates": "injectates",
    "side-effects": "side_effects",
    "outcomes": "outcomes",
    "sources": "sources",
}
LINKS = {
    "indications": "indications",
    "injectate-uses": "injectates",
    "side-effect-reports": "side_effects",
    "facts": "facts",
}


def api_routes(client: TestClient) -> list[tuple[str, APIRoute]]:
    """Every operation with its full path (routers are included with their prefix)."""
    return [
        (str(context.path), context.original_route)
        for context in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(context.original_route, APIRoute)
    ]


def prebuilt_get_routes(client: TestClient) -> list[tuple[str, APIRoute]]:
    return [
        (path, route)
        for path, route in api_routes(client)
        if "GET" in (route.methods or ()) and route.response_class is PrebuiltJSON
    ]


def urls_of(client: TestClient, path: str) -> list[str]:
    """Every URL of `path` on the seed: each record's, each link's, a list with and without
    a page size."""
    parts = path.removeprefix("/v1/").split("/")
    slugs = [item["slug"] for item in SEED[RESOURCES[parts[0]]]]
    if "{slug}" not in path:
        return [path, f"{path}?limit=100", f"{path}?limit=3&offset=2"]
    if "{id}" not in path:
        return [path.replace("{slug}", slug) for slug in slugs]
    urls = []
    for slug in slugs:
        detail = client.get(f"/v1/therapies/{slug}").json()
        urls += [
            path.replace("{slug}", slug).replace("{id}", str(link["id"]))
            for link in detail[LINKS[parts[2]]]
        ]
    return urls


def assert_same_order(body: Any, dumped: Any, where: str) -> None:
    """The body's objects have the model's fields in the model's order, at every depth."""
    if isinstance(body, dict):
        assert list(body) == list(dumped), where
        for key in body:
            assert_same_order(body[key], dumped[key], f"{where}.{key}")
    elif isinstance(body, list):
        for index, (item, expected) in enumerate(zip(body, dumped, strict=True)):
            assert_same_order(item, expected, f"{where}[{index}]")


def test_prebuilt_bodies_are_their_models_serialization(seeded_client: TestClient) -> None:
    routes = prebuilt_get_routes(seeded_client)
    assert (
        len(routes) >= 16
    )  # every list and detail of a record, the links, a condition's therapies
    for path, route in routes:
        # A route with views answers its first model by default (a condition's therapies).
        model = (get_args(route.response_model) or (route.response_model,))[0]
        assert model is not None, path
        urls = urls_of(seeded_client, path)
        assert urls, f"no record of the seed reaches {path}"
        for url in urls:
            response = seeded_client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"] == "application/json", url
            body = response.json()
            dumped = model.model_validate(body).model_dump(mode="json")
            assert body == dumped, url
            assert_same_order(body, dumped, url)


def test_write_answers_are_their_models_serialization(
    client: TestClient, editor: dict[str, str]
) -> None:
    etag = client.get("/v1/side-effects/bruising").headers["etag"]
    response = client.patch(
        "/v1/side-effects/bruising",
        json={"description": "Curated."},
        headers={**editor, "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    route = next(route for _, route in api_routes(client) if route.name == "update_side_effect")
    assert route.response_class is PrebuiltJSON and route.response_model is not None
    body = response.json()
    dumped = route.response_model.model_validate(body).model_dump(mode="json")
    assert body == dumped
    assert_same_order(body, dumped, "update_side_effect")
    assert body["description"] == "Curated."
