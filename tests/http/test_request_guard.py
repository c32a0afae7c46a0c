"""Request ids, limits, rate limiting and structured logs: hostile or broken input is refused."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
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


ERROR_HEADERS = {
    "content-type": "application/problem+json",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "access-control-allow-origin": "*",
}


def _guard_refusals(client: TestClient) -> dict[str, Any]:
    """One of each answer the request guard gives before the app runs."""
    return {
        "nul in query": client.get("/v1/therapies?condition=%00"),
        "bad utf-8 in path": client.get("/v1/therapies/%C3%28"),
        "bad content-length": client.post(
            "/v1/therapies", content=b"{}", headers={"content-length": "x"}
        ),
        "declared too large": client.post("/v1/therapies", content=b"x" * (1024 * 1024 + 1)),
    }


def test_guard_refusals_carry_the_headers_and_instance_of_every_error(
    client: TestClient,
) -> None:
    app_error = client.get("/v1/therapies/nothing", headers={"Origin": "https://a.example"})
    assert app_error.status_code == 404
    for name, response in _guard_refusals(client).items():
        assert response.status_code in (400, 413), name
        for header, value in ERROR_HEADERS.items():
            assert response.headers.get(header) == value, (name, header)
            if header != "content-type":
                assert app_error.headers.get(header) == value, header
        assert len(response.headers["x-request-id"]) == 32, name
        assert response.json()["instance"].startswith("/v1/therapies"), name
    assert _guard_refusals(client)["bad utf-8 in path"].json()["instance"] == "/v1/therapies/%C3%28"


def test_guard_refusals_answer_an_allowed_origin(
    settings: Settings, engine: Engine, load: Load
) -> None:
    load(seed_document())
    listed = settings.model_copy(update={"cors_origins": ["https://clinic.example"]})
    with TestClient(create_app(listed, engine=engine)) as client:
        allowed = client.get("/v1/therapies?q=%00", headers={"Origin": "https://clinic.example"})
        other = client.get("/v1/therapies?q=%00", headers={"Origin": "https://evil.example"})
    assert allowed.status_code == other.status_code == 400
    assert allowed.headers["access-control-allow-origin"] == "https://clinic.example"
    assert "Origin" in allowed.headers["vary"]
    assert "access-control-allow-origin" not in other.headers
    assert other.headers["cache-control"] == "no-store"


def test_errors_on_writes_are_never_stored(client: TestClient) -> None:
    unauthorised = client.post("/v1/therapies", json={"slug": "x", "name": "X"})
    invalid = client.patch("/v1/therapies/nothing", content=b"{", headers={"If-Match": '"1"'})
    for response in (unauthorised, invalid):
        assert response.status_code >= 400
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
    preflight = client.options(
        "/v1/therapies",
        headers={"Origin": "https://a.example", "Access-Control-Request-Method": "PATCH"},
    )
    assert preflight.status_code == 200
    assert preflight.headers.get("cache-control") != "no-store"  # only errors are no-store


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


ACCESS_FIELDS = [
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "client",
]


class Lines:
    """An access log sink that keeps what it is given, as parsed JSON lines."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def __call__(self, data: bytes) -> None:
        self.chunks.append(data)

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for chunk in self.chunks for line in chunk.splitlines()]


def logged_app(settings: Settings, engine: Engine, **changes: Any) -> tuple[Any, Lines]:
    """An app whose access log writes to a `Lines` sink."""
    app = create_app(settings.model_copy(update=changes), engine=engine)
    lines = Lines()
    app.state.access_log.sink = lines
    return app, lines


def test_access_log_is_one_json_line_per_request(
    settings: Settings, engine: Engine, load: Load
) -> None:
    load(seed_document())
    app, lines = logged_app(settings, engine)
    before = dt.datetime.now(dt.UTC)
    with TestClient(app) as client:
        response = client.get("/v1/therapies?limit=1", headers={"X-Request-ID": "req-1"})
    # Leaving the client runs the lifespan's shutdown, which writes what is still queued.
    assert response.status_code == 200
    [line] = lines.parsed()
    assert list(line) == ACCESS_FIELDS  # the fields, in the order the log has always had
    assert (line["level"], line["logger"], line["message"]) == ("info", "app.access", "request")
    assert line["request_id"] == "req-1"
    assert (line["method"], line["path"], line["query"]) == ("GET", "/v1/therapies", "limit=1")
    assert (line["status"], line["client"]) == (200, "testclient")
    assert line["duration_ms"] >= 0
    logged_at = dt.datetime.fromisoformat(line["time"])
    assert before - dt.timedelta(seconds=1) <= logged_at <= dt.datetime.now(dt.UTC)
    assert line["time"].endswith("+00:00") and len(line["time"]) == len(
        "2026-01-01T00:00:00.000+00:00"
    )


def test_every_request_has_exactly_one_access_line_with_its_id(
    settings: Settings, engine: Engine, load: Load
) -> None:
    """Answers of every kind: a read, a cache hit sent by the guard, a HEAD, a 304, refusals
    by the guard (400, 413), by FastAPI (404, 405, 422), a write without a key (401) and an
    unexpected error (500)."""
    load(seed_document())
    app, lines = logged_app(settings, engine, version_ttl=60)

    def explode() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/explode", explode)
    statuses: dict[str, int] = {}
    with TestClient(app, raise_server_exceptions=False) as client:

        def call(request_id: str, method: str, url: str, **kwargs: Any) -> Any:
            headers = {"X-Request-ID": request_id, **kwargs.pop("headers", {})}
            response = client.request(method, url, headers=headers, **kwargs)
            statuses[request_id] = response.status_code
            return response

        first = call("miss", "GET", "/v1/therapies")
        call("hit", "GET", "/v1/therapies")
        call("head-hit", "HEAD", "/v1/therapies")
        call(
            "not-modified", "GET", "/v1/therapies", headers={"If-None-Match": first.headers["etag"]}
        )
        call("nul", "GET", "/v1/therapies?condition=%00")
        call("too-large", "POST", "/v1/therapies", content=b"x" * (1024 * 1024 + 1))
        call("missing", "GET", "/v1/therapies/nothing")
        call("wrong-method", "DELETE", "/v1/meta")
        call("unknown-param", "GET", "/v1/therapies?colour=red")
        call("no-key", "POST", "/v1/therapies", json={"slug": "x"})
        call("error", "GET", "/explode")
    assert statuses == {
        "miss": 200,
        "hit": 200,
        "head-hit": 200,
        "not-modified": 304,
        "nul": 400,
        "too-large": 413,
        "missing": 404,
        "wrong-method": 405,
        "unknown-param": 422,
        "no-key": 401,
        "error": 500,
    }
    logged = lines.parsed()
    assert Counter(line["request_id"] for line in logged) == Counter(list(statuses))  # once each
    assert {line["request_id"]: line["status"] for line in logged} == statuses
    methods = {line["request_id"]: line["method"] for line in logged}
    assert (methods["head-hit"], methods["too-large"]) == ("HEAD", "POST")
    assert app.state.access_log.written == len(statuses)


def test_cache_hit_has_its_own_request_id_and_access_line(
    settings: Settings, engine: Engine, load: Load
) -> None:
    """A hit is sent by the guard itself (the dataset version, read by the first request, is
    fresh for a minute): it still gets its own id and its own access line."""
    load(seed_document())
    app, lines = logged_app(settings, engine, version_ttl=60)
    with TestClient(app) as client:
        first = client.get("/v1/therapies", headers={"X-Request-ID": "miss-1"})
        hit = client.get("/v1/therapies", headers={"X-Request-ID": "hit-2"})
        head = client.head("/v1/therapies", headers={"X-Request-ID": "hit-3"})
    assert hit.content == first.content  # the stored bytes
    assert hit.headers.get_list("x-request-id") == ["hit-2"]
    assert head.headers.get_list("x-request-id") == ["hit-3"]
    assert head.content == b""
    assert [(line["request_id"], line["method"], line["status"]) for line in lines.parsed()] == [
        ("miss-1", "GET", 200),
        ("hit-2", "GET", 200),
        ("hit-3", "HEAD", 200),
    ]


@given(segment=st.text(min_size=1, max_size=20), value=st.text(max_size=20))
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_access_line_keeps_any_path_and_query(
    settings: Settings, engine: Engine, segment: str, value: str
) -> None:
    """Whatever a client puts in the path or the query, its line is one line of valid JSON
    that says what was asked (or the guard refused it, and the line says that)."""
    app, lines = logged_app(settings, engine)
    client = TestClient(app)  # no lifespan: the test flushes the log itself
    response = client.get(  # one request: a redirect (say, for "/v1/therapies/.") not followed
        f"/v1/therapies/{quote(segment, safe='')}", params={"q": value}, follow_redirects=False
    )
    app.state.access_log.flush()
    [chunk] = lines.chunks
    assert chunk.count(b"\n") == 1 and chunk.endswith(b"\n")
    [line] = lines.parsed()
    assert line["status"] == response.status_code
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["query"] == response.request.url.query.decode("latin-1")
    assert line["path"] == response.request.url.path  # decoded, as the server saw it


def test_access_log_is_off_above_info(settings: Settings, engine: Engine, load: Load) -> None:
    load(seed_document())
    app = create_app(settings.model_copy(update={"log_level": "warning"}), engine=engine)
    assert app.state.access_log is None
    with TestClient(app) as client:
        assert client.get("/v1/therapies").status_code == 200
        state = client.get("/v1/meta/access-log").json()
    assert state["enabled"] is False


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
