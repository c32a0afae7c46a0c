"""Request ids, limits, rate limiting and structured logs: hostile or broken input is refused."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.http.logs import JsonFormatter
from app.http.rate_limit import RateLimiter
from app.main import create_app
from tests.factories import seed_document

Load = Callable[[dict[str, Any]], None]


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    ok = client.get("/v1/therapies")
    missing = client.get("/v1/therapies/nothing")
    assert len(ok.headers["x-request-id"]) == 32
    assert missing.headers["x-request-id"] != ok.headers["x-request-id"]
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"})
    assert echoed.headers["x-request-id"] == "trace-42.a_b"
    replaced = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert replaced.headers["x-request-id"] != "bad id with spaces"


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("/v1/therapies?condition=%00", "query"),
        ("/v1/therapies/%00abc", "path"),
        ("/v1/therapies?condition=%FF%FE", "query"),
        ("/v1/therapies/%C3%28", "path"),
    ],
)
def test_nul_bytes_and_invalid_utf8_are_refused(client: TestClient, url: str, where: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith(f"The request's {where} ")


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/v1/therapies", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The request body is larger than 1048576 bytes."


def test_oversized_streamed_body_is_413(settings: Settings, engine: Engine, load: Load) -> None:
    load(seed_document())
    small = settings.model_copy(update={"max_body_bytes": 2048})
    app = create_app(small, engine=engine)

    @app.post("/echo-length")
    async def echo_length(body: dict[str, Any]) -> dict[str, int]:
        return {"keys": len(body)}

    def chunks() -> Any:
        for _ in range(10):
            yield b" " * 1000  # no Content-Length: the body streams in chunks

    with TestClient(app) as client:
        response = client.post(
            "/echo-length", content=chunks(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 413


def test_rate_limit_answers_429_with_retry_after(
    settings: Settings, engine: Engine, load: Load
) -> None:
    load(seed_document())
    limited = settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    with TestClient(create_app(limited, engine=engine)) as client:
        statuses = [client.get("/v1/therapies").status_code for _ in range(4)]
        refused = client.get("/v1/therapies")
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1


def test_rate_limiter_refills_over_time() -> None:
    limiter = RateLimiter(per_minute=60, burst=2)
    assert limiter.wait_time("a", now=0.0) == 0
    assert limiter.wait_time("a", now=0.0) == 0
    assert limiter.wait_time("a", now=0.0) == pytest.approx(1.0)
    assert limiter.wait_time("b", now=0.0) == 0  # per client
    assert limiter.wait_time("a", now=1.5) == 0


def test_rate_limit_is_off_by_default(client: TestClient) -> None:
    assert all(client.get("/healthz").status_code == 200 for _ in range(100))


def test_access_log_is_one_json_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = client.get("/v1/therapies/nothing", headers={"X-Request-ID": "req-1"})
    records = [r for r in caplog.records if r.name == "app.access"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert response.status_code == 404
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/v1/therapies/nothing", 404)
    assert line["duration_ms"] >= 0
    assert line["level"] == "info"


def test_cache_hit_has_its_own_request_id_and_access_line(
    settings: Settings, engine: Engine, load: Load, caplog: pytest.LogCaptureFixture
) -> None:
    """A hit is sent by the guard itself (the dataset version, read by the first request, is
    fresh for a minute): it still gets its own id and its own access line."""
    load(seed_document())
    app = create_app(settings.model_copy(update={"version_ttl": 60}), engine=engine)
    with TestClient(app) as client, caplog.at_level(logging.INFO, logger="app.access"):
        first = client.get("/v1/therapies", headers={"X-Request-ID": "miss-1"})
        hit = client.get("/v1/therapies", headers={"X-Request-ID": "hit-2"})
        head = client.head("/v1/therapies", headers={"X-Request-ID": "hit-3"})
    assert hit.content == first.content  # the stored bytes
    assert hit.headers.get_list("x-request-id") == ["hit-2"]
    assert head.headers.get_list("x-request-id") == ["hit-3"]
    assert head.content == b""
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "app.access"
    ]
    assert [(line["request_id"], line["method"], line["status"]) for line in lines] == [
        ("miss-1", "GET", 200),
        ("hit-2", "GET", 200),
        ("hit-3", "HEAD", 200),
    ]


def test_unexpected_error_is_logged_with_request_id(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, engine=engine)

    def explode() -> None:
        raise RuntimeError("the secret detail")

    app.add_api_route("/explode", explode)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/explode", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "boom-1"
    assert "secret" not in response.text
    logged = [r for r in caplog.records if getattr(r, "request_id", None) == "boom-1"]
    assert logged and "the secret detail" in JsonFormatter().format(logged[0])


def test_responses_have_security_headers_and_no_banner(client: TestClient) -> None:
    for response in (client.get("/v1/therapies"), client.get("/v1/nothing"), client.get("/docs")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "server" not in response.headers
    docs = client.get("/docs")
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
