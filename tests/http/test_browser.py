"""What a browser front end meets: CORS preflights, cache-busters, RateLimit header fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.http.cache import without_cache_buster
from app.http.rate_limit import RateLimiter
from app.main import create_app
from tests.curation import assert_problem
from tests.factories import seed_document
from tests.http.test_cache import cache_layer

Load = Callable[[dict[str, Any]], None]
DETAIL = "/v1/therapies/perineural-injection-therapy"


def preflight(client: TestClient, headers: str) -> Any:
    return client.options(
        "/v1/therapies",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": headers,
        },
    )


def test_cors_preflight_allows_a_clients_own_request_id(client: TestClient) -> None:
    response = preflight(client, "X-Request-ID, If-None-Match")
    assert response.status_code == 200
    assert "x-request-id" in response.headers["access-control-allow-headers"].lower()
    answer = client.get(DETAIL, headers={"Origin": "https://app.example", "X-Request-ID": "a-1"})
    assert answer.headers["x-request-id"] == "a-1"
    assert "X-Request-ID" in answer.headers["access-control-expose-headers"]


def test_cors_refused_preflight_is_a_problem(client: TestClient) -> None:
    response = preflight(client, "X-Unknown-Header")
    body = assert_problem(response, 400)
    assert body["type"].endswith("/cors-preflight-refused")
    assert "headers" in body["detail"] and "X-Request-ID" in body["detail"]


def test_cache_buster_is_accepted_and_ignored(client: TestClient) -> None:
    plain = client.get("/v1/therapies?limit=1")
    busted = client.get("/v1/therapies?_=1700000000&limit=1")
    other = client.get("/v1/therapies?limit=1&_=1700000001")
    assert plain.status_code == busted.status_code == other.status_code == 200
    assert busted.content == plain.content == other.content
    assert busted.headers["etag"] == plain.headers["etag"]
    assert "_=" not in busted.json()["links"]["next"]
    detail = client.get(f"{DETAIL}?_=1")
    assert detail.status_code == 200 and detail.json()["slug"] == DETAIL.rsplit("/", 1)[-1]


def test_cache_buster_is_not_part_of_the_cache_key(client: TestClient) -> None:
    layer = cache_layer(client.app)
    client.get("/v1/sources?_=1")
    held = len(layer.cache)
    for stamp in range(2, 6):
        assert client.get(f"/v1/sources?_={stamp}").status_code == 200
    assert len(layer.cache) == held


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"", b""),
        (b"_=1", b""),
        (b"limit=1&_=2", b"limit=1"),
        (b"_=2&limit=1&q=a_=b", b"limit=1&q=a_=b"),
        (b"q=snake_=case", b"q=snake_=case"),
    ],
)
def test_without_cache_buster(query: bytes, expected: bytes) -> None:
    assert without_cache_buster(query) == expected


def test_unknown_parameters_are_still_refused(client: TestClient) -> None:
    response = client.get("/v1/therapies?__=1")
    assert_problem(response, 422)


def test_rate_limit_fields_on_every_response(
    settings: Settings, engine: Engine, load: Load
) -> None:
    load(seed_document())
    limited = settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    with TestClient(create_app(limited, engine=engine)) as client:
        answers = [client.get("/v1/therapies") for _ in range(3)]  # a miss, then cached hits
        refused = client.get("/v1/therapies")
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    for answer in [*answers, refused]:
        assert answer.headers["ratelimit-policy"] == '"default";q=3;w=3'
    remaining = [answer.headers["ratelimit"].split(";")[1] for answer in answers]
    assert remaining == ["r=2", "r=1", "r=0"]
    assert refused.status_code == 429
    assert refused.headers["ratelimit"].startswith('"default";r=0;t=')
    assert "RateLimit" in answers[0].headers["access-control-expose-headers"]


def test_rate_limit_fields_absent_when_limiting_is_off(client: TestClient) -> None:
    response = client.get("/v1/therapies")
    assert "ratelimit" not in response.headers and "ratelimit-policy" not in response.headers


def test_rate_limiter_says_what_is_left() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    first = limiter.take("a", now=0.0)
    assert (first.wait, first.remaining, first.reset) == (0.0, 1, 1)
    second = limiter.take("a", now=0.0)
    assert (second.remaining, second.reset) == (0, 2)
    assert limiter.take("a", now=0.0).wait == pytest.approx(1.0)
