"""The route index (app/http/route_index.py) picks the route FastAPI's own routing would pick."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from starlette.routing import BaseRoute, Match, Route

from app.http.route_index import RouteIndex, path_key, route_keys
from app.http.stack import KnowledgeBaseAPI

WORD = st.text(alphabet="abcdefghij-", min_size=1, max_size=6)
VALUE = st.text(alphabet="abcxyz019-._~", min_size=1, max_size=6)


@st.composite
def templates_and_paths(draw: st.DrawFn) -> tuple[str, str]:
    """A route template of literal, parameter and half-literal segments (`{rest:path}` last
    perhaps), and a path it matches, each parameter filled with a drawn value."""
    template, path = "", ""
    for number in range(draw(st.integers(min_value=0, max_value=4))):
        kind = draw(st.sampled_from(["literal", "param", "partial"]))
        word, value = draw(WORD), draw(VALUE)
        if kind == "literal":
            template, path = f"{template}/{word}", f"{path}/{word}"
        elif kind == "param":
            template, path = f"{template}/{{p{number}}}", f"{path}/{value}"
        else:
            template, path = f"{template}/{word}{{p{number}}}", f"{path}/{word}{value}"
    if draw(st.booleans()):
        rest = "/".join(draw(st.lists(VALUE, min_size=1, max_size=3)))
        template, path = f"{template}/{{rest:path}}", f"{path}/{rest}"
    return template or "/", path or "/"


def _endpoint() -> None:
    return None


@given(templates_and_paths())
def test_route_keys_hold_the_key_of_every_path_the_route_matches(case: tuple[str, str]) -> None:
    template, path = case
    route = Route(template, _endpoint)
    scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
    assert route.matches(scope)[0] is Match.FULL  # the drawn path is one the route serves
    keys = route_keys(route)
    key = path_key(path)
    assert keys is None or key in keys or key[:1] in keys


def test_route_keys_of_fixed_and_templated_paths() -> None:
    assert route_keys(Route("/healthz", _endpoint)) == {("healthz",)}
    assert route_keys(Route("/v1/therapies", _endpoint)) == {("v1", "therapies")}
    assert route_keys(Route("/v1/therapies/{slug}/facts", _endpoint)) == {("v1", "therapies")}
    assert route_keys(Route("/v1/{kind}", _endpoint)) == {("v1",)}
    assert route_keys(Route("/conditions/{slug}/compare", _endpoint)) == {("conditions",)}
    assert route_keys(Route("/{kind}", _endpoint)) is None
    assert route_keys(Route("/v1/thera{rest}", _endpoint)) is None


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def _first_full(routes: list[BaseRoute], path: str, method: str) -> BaseRoute | None:
    for route in routes:
        if route.matches(_scope(path, method))[0] is Match.FULL:
            return route
    return None


def _sample_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-1", template)


def test_index_picks_fastapis_route_for_every_operation(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, KnowledgeBaseAPI)
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    operations = app.openapi()["paths"]
    pages = ["/", "/search", "/conditions/{slug}", "/conditions/{slug}/compare", "/sources/{slug}"]
    paths = [*operations, "/docs", "/redoc", "/openapi.json", "/static/redoc/x.js", "/v1/nope"]
    for template in [*paths, *pages]:
        methods = [m.upper() for m in operations.get(template, {"get": None})]
        for method in methods:
            path = _sample_path(template)
            chosen = _first_full(list(index.candidates(path)), path, method)
            expected = _first_full(app.router.routes, path, method)
            assert chosen is expected or chosen is None, (method, path)
            if template in operations or template in pages:
                assert chosen is not None, (method, path)  # the index served it itself


def test_index_leaves_redirects_to_fastapi(client: TestClient) -> None:
    response = client.get("/v1/conditions/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/v1/conditions")


def test_index_serves_a_route_added_after_start(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, KnowledgeBaseAPI)

    def answer() -> dict[str, str]:
        return {"added": "yes"}

    app.add_api_route("/v1/therapies/{slug}/added", answer)
    response = client.get("/v1/therapies/prolotherapy/added")
    assert response.status_code == 200
    assert response.json() == {"added": "yes"}
