"""ETags and 304s, Cache-Control, compression, Link headers, CORS and the response cache."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import Any

import brotli
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session

from app.config import Settings
from app.http.cache import choose_encoding
from app.main import create_app
from app.models import Therapy
from tests.factories import seed_document

Load = Callable[[dict[str, Any]], None]
DETAIL = "/v1/therapies/perineural-injection-therapy"


def cache_layer(app: Any) -> Any:
    """The response cache's layer in front of `app`."""
    layer = app.front
    while layer is not None and not hasattr(layer, "cache"):
        layer = getattr(layer, "app", None)
    assert layer is not None
    return layer


@pytest.fixture
def fresh_client(settings: Settings, engine: Engine, load: Load) -> Iterator[TestClient]:
    """A client whose process re-reads the dataset version on every request."""
    load(seed_document())
    app = create_app(settings.model_copy(update={"version_ttl": 0}), engine=engine)
    with TestClient(app) as client:
        yield client


def test_get_sends_etag_cache_control_vary(client: TestClient) -> None:
    response = client.get(DETAIL)
    assert response.status_code == 200
    assert response.headers["etag"].startswith('"1-')
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["vary"] == "Accept, Accept-Encoding"


def test_get_with_current_etag_is_304_without_body(client: TestClient) -> None:
    etag = client.get(DETAIL).headers["etag"]
    response = client.get(DETAIL, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    weak = client.get(DETAIL, headers={"If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304


def test_get_with_stale_etag_is_200(client: TestClient) -> None:
    response = client.get(DETAIL, headers={"If-None-Match": '"0-stale"'})
    assert response.status_code == 200
    assert response.json()["slug"] == "perineural-injection-therapy"


def test_cache_max_age_is_configurable(settings: Settings, engine: Engine, load: Load) -> None:
    load(seed_document())
    app = create_app(settings.model_copy(update={"cache_max_age": 5}), engine=engine)
    with TestClient(app) as client:
        assert client.get(DETAIL).headers["cache-control"] == "public, max-age=5"


def test_errors_are_not_cached(client: TestClient) -> None:
    response = client.get("/v1/therapies/nothing")
    assert response.status_code == 404
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip", "gzip"), ("br", "br"), ("gzip, br", "br"), ("br;q=0, gzip", "gzip"), ("", None)],
)
def test_get_compresses_by_accept_encoding(
    client: TestClient, accept: str, encoding: str | None
) -> None:
    plain = client.get(DETAIL, headers={"Accept-Encoding": "identity"})
    response = client.get(DETAIL, headers={"Accept-Encoding": accept})
    assert response.status_code == 200
    assert response.headers.get("content-encoding") == encoding
    # httpx decodes gzip and brotli itself; the decoded bytes are the plain body.
    assert response.content == plain.content
    if encoding is not None:
        assert response.headers["etag"] != plain.headers["etag"]
        assert int(response.headers["content-length"]) < len(plain.content)


def test_compressed_bytes_decode_to_plain_body(client: TestClient) -> None:
    plain = client.get(DETAIL, headers={"Accept-Encoding": "identity"}).content
    with client.stream("GET", DETAIL, headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw) == plain
    with client.stream("GET", DETAIL, headers={"Accept-Encoding": "br"}) as response:
        raw = b"".join(response.iter_raw())
    assert brotli.decompress(raw) == plain


def test_small_bodies_are_not_compressed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert choose_encoding("gzip", 100) == "identity"
    assert choose_encoding("*", 5000) == "br"
    assert choose_encoding("gzip;q=0, identity", 5000) == "identity"


def test_list_sends_link_header_matching_body_links(client: TestClient) -> None:
    response = client.get("/v1/therapies", params={"limit": 1})
    assert response.status_code == 200
    links = response.json()["links"]
    assert response.headers["link"] == (
        f'<{links["first"]}>; rel="first", <{links["next"]}>; rel="next", '
        f'<{links["last"]}>; rel="last"'
    )
    second = client.get(links["next"])
    assert 'rel="prev"' in second.headers["link"]
    assert 'rel="next"' not in second.headers["link"]


def test_head_answers_headers_without_body(client: TestClient) -> None:
    get = client.get(DETAIL)
    head = client.head(DETAIL)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_cors_simple_request_from_any_origin(client: TestClient) -> None:
    response = client.get(DETAIL, headers={"Origin": "https://app.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "ETag" in response.headers["access-control-expose-headers"]


def test_cors_preflight_is_answered(client: TestClient) -> None:
    response = client.options(
        "/v1/therapies",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


def test_cors_allow_list_answers_listed_origins_only(
    settings: Settings, engine: Engine, load: Load
) -> None:
    load(seed_document())
    listed = settings.model_copy(update={"cors_origins": ["https://clinic.example"]})
    with TestClient(create_app(listed, engine=engine)) as client:
        allowed = client.get(DETAIL, headers={"Origin": "https://clinic.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://clinic.example"
        assert allowed.headers["vary"] == "Accept, Accept-Encoding, Origin"
        other = client.get(DETAIL, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            DETAIL,
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 400


def test_cache_serves_stored_bytes_until_the_version_moves(
    fresh_client: TestClient, engine: Engine, load: Load
) -> None:
    first = fresh_client.get(DETAIL)
    # A change that bypasses the dataset version is not seen: the cache answered.
    with Session(engine) as session:
        session.exec(update(Therapy).values(summary="Changed behind the version's back."))
        session.commit()
    assert fresh_client.get(DETAIL).json()["summary"] == first.json()["summary"]
    # A real change bumps the version: the next request sees it, with a new ETag.
    raw = seed_document()
    raw["therapies"][0]["summary"] = "A new summary."
    load(raw)
    after = fresh_client.get(DETAIL)
    assert after.json()["summary"] == "A new summary."
    assert after.headers["etag"] != first.headers["etag"]
    assert after.headers["etag"].startswith('"2-')
    stale = fresh_client.get(DETAIL, headers={"If-None-Match": first.headers["etag"]})
    assert stale.status_code == 200


def test_response_cache_is_bounded(settings: Settings, engine: Engine, load: Load) -> None:
    load(seed_document())
    small = settings.model_copy(update={"response_cache_bytes": 20_000})
    app = create_app(small, engine=engine)
    with TestClient(app) as client:
        for offset in range(40):
            assert client.get("/v1/outcomes", params={"offset": offset}).status_code == 200
        layer = cache_layer(app)
        assert 0 < layer.cache.bytes <= 20_000
        assert len(layer.cache) < 40


def test_responses_too_big_to_keep_take_no_room(
    settings: Settings, engine: Engine, load: Load
) -> None:
    """A response over an eighth of the bound is sent, not kept: sending it many times, in a
    coding compressed for it, must not fill the cache's count and push out what it keeps."""
    load(seed_document())
    app = create_app(settings.model_copy(update={"response_cache_bytes": 8_000}), engine=engine)
    layer = cache_layer(app)
    with TestClient(app) as client:
        big = client.get("/v1/outcomes", params={"limit": 100}, headers={"Accept-Encoding": "gzip"})
        assert big.headers["content-encoding"] == "gzip"
        assert len(big.content) > 8_000 // 8
        for _ in range(20):
            client.get("/v1/outcomes", params={"limit": 100}, headers={"Accept-Encoding": "gzip"})
        assert len(layer.cache) == 0 and layer.cache.bytes == 0
        assert client.get("/v1/body-regions", params={"limit": 1}).status_code == 200
        assert len(layer.cache) == 1


def test_cached_links_follow_each_requests_host(client: TestClient) -> None:
    first = client.get("/v1/therapies", headers={"Host": "first.example"})
    second = client.get("/v1/therapies", headers={"Host": "second.example"})
    assert first.json()["links"]["self"].startswith("http://first.example/")
    assert second.json()["links"]["self"].startswith("http://second.example/")


def test_links_use_public_base_url(settings: Settings, engine: Engine, load: Load) -> None:
    load(seed_document())
    public = settings.model_copy(update={"public_base_url": "https://kb.example/api/"})
    with TestClient(create_app(public, engine=engine)) as client:
        body = client.get("/v1/therapies", params={"limit": 1}, headers={"Host": "evil"}).json()
    assert body["links"]["next"] == "https://kb.example/api/v1/therapies?limit=1&offset=1"


def test_links_keep_repeated_query_parameters(client: TestClient) -> None:
    response = client.get(
        "/v1/outcomes",
        params=[("evidence_level", "rct"), ("evidence_level", "practitioner-claim"), ("limit", 1)],
    )
    assert response.status_code == 200
    assert response.json()["links"]["next"].endswith(
        "/v1/outcomes?evidence_level=rct&evidence_level=practitioner-claim&limit=1&offset=1"
    )


def test_head_on_health_probe(client: TestClient) -> None:
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"


def test_docs_work_before_migration(tmp_path: Any) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with TestClient(create_app(settings)) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200
        assert client.get("/readyz").status_code == 503
