"""The access log's buffer and writer: lines reach the sink in batches, at least every second;
a stalled or broken sink costs lines (counted, logged, served), never a request's answer."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.config import Settings
from app.http.logs import AccessLog
from app.main import create_app
from tests.factories import seed_document

Load = Callable[[dict[str, Any]], None]


class Lines:
    """A sink that keeps what it is given, as parsed JSON lines."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def __call__(self, data: bytes) -> None:
        self.chunks.append(data)

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for chunk in self.chunks for line in chunk.splitlines()]


class StalledSink:
    """A sink that blocks on its first write until released (or 30 s, which the test sees)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.timed_out = False
        self.lines = Lines()

    def __call__(self, data: bytes) -> None:
        self.entered.set()
        if not self.release.wait(30):
            self.timed_out = True
        self.lines(data)


def entry(request_id: str, status: int = 200) -> Any:
    now = time.perf_counter()
    return (now, now, request_id, "GET", "/v1/therapies", b"", status, ("127.0.0.1", 1))


def test_stalled_sink_does_not_stall_requests(
    settings: Settings, engine: Engine, load: Load, caplog: pytest.LogCaptureFixture
) -> None:
    load(seed_document())
    app = create_app(settings.model_copy(update={"access_log_buffer_lines": 8}), engine=engine)
    sink = StalledSink()
    app.state.access_log.sink = sink
    with caplog.at_level(logging.WARNING, logger="app.access"), TestClient(app) as client:
        warm = [client.get("/v1/therapies").status_code for _ in range(8)]
        # The fourth queued line wakes the writer, which takes them and blocks in the sink.
        assert sink.entered.wait(10)
        answered = [client.get("/v1/therapies").status_code for _ in range(100)]
        state = client.get("/v1/meta/access-log")
        assert not sink.timed_out  # every request was answered while the sink was stalled
        sink.release.set()
    assert warm == [200] * 8
    assert answered == [200] * 100
    assert state.status_code == 200
    assert state.headers["cache-control"] == "no-store"
    counts = state.json()
    # At most 8 lines queue behind the stalled write; the other requests' lines are dropped.
    assert counts["dropped"] >= 100 - 8
    assert counts["buffered"] <= 8
    assert counts["buffer_lines"] == 8
    access_log = app.state.access_log
    assert access_log.written + access_log.dropped == 8 + 100 + 1  # every line is accounted
    assert access_log.written == len(sink.lines.parsed())
    warnings = [r for r in caplog.records if r.getMessage() == "access lines dropped"]
    assert warnings and warnings[-1].dropped_total == access_log.dropped  # type: ignore[attr-defined]


def test_queued_lines_are_written_within_a_second_or_so(
    settings: Settings, engine: Engine, load: Load
) -> None:
    """Without shutdown and with far fewer lines than a batch, the writer's timer flushes."""
    load(seed_document())
    app = create_app(settings, engine=engine)
    lines = Lines()
    app.state.access_log.sink = lines
    with TestClient(app) as client:
        client.get("/v1/therapies", headers={"X-Request-ID": "timer-1"})
        deadline = time.monotonic() + 10
        while not lines.chunks and time.monotonic() < deadline:
            time.sleep(0.05)
        written_before_shutdown = lines.parsed()
    assert [line["request_id"] for line in written_before_shutdown] == ["timer-1"]


def test_a_full_batch_wakes_the_writer() -> None:
    log = AccessLog(capacity=1024, flush_seconds=3600)  # the timer alone would wait an hour
    lines = Lines()
    log.sink = lines
    log.start()
    try:
        for number in range(256):
            log.add(entry(f"r{number}"))
        deadline = time.monotonic() + 10
        while len(lines.parsed()) < 256 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [line["request_id"] for line in lines.parsed()] == [f"r{n}" for n in range(256)]
        assert len(lines.chunks) == 1  # one write for the batch
    finally:
        log.stop()


def test_stop_writes_every_queued_line() -> None:
    log = AccessLog(capacity=10_000, flush_seconds=3600)
    lines = Lines()
    log.sink = lines
    log.start()
    for number in range(100):  # fewer than a batch: only the stop writes them
        log.add(entry(f"r{number}"))
    log.stop()
    assert [line["request_id"] for line in lines.parsed()] == [f"r{n}" for n in range(100)]
    assert (log.written, log.lost, log.buffered) == (100, 0, 0)


def test_a_failing_sink_counts_its_lines_as_dropped(caplog: pytest.LogCaptureFixture) -> None:
    def broken(data: bytes) -> None:
        raise BrokenPipeError("the reader went away")

    log = AccessLog(capacity=100, sink=broken)
    for number in range(5):
        log.add(entry(f"r{number}"))
    with caplog.at_level(logging.WARNING, logger="app.access"):
        log.flush()
    assert (log.written, log.lost, log.buffered) == (0, 5, 0)
    [warning] = [r for r in caplog.records if r.getMessage() == "access lines dropped"]
    assert warning.dropped == 5  # type: ignore[attr-defined]
    with caplog.at_level(logging.WARNING, logger="app.access"):
        log.flush()  # nothing new lost: no second warning
    assert len([r for r in caplog.records if r.getMessage() == "access lines dropped"]) == 1


def test_sampling_keeps_every_error_line(settings: Settings, engine: Engine, load: Load) -> None:
    load(seed_document())
    app = create_app(settings.model_copy(update={"access_log_sample_rate": 1e-9}), engine=engine)
    lines = Lines()
    app.state.access_log.sink = lines
    with TestClient(app) as client:
        ok = [client.get("/v1/therapies").status_code for _ in range(20)]
        missing = client.get("/v1/therapies/nothing", headers={"X-Request-ID": "missing-1"})
    assert ok == [200] * 20
    assert missing.status_code == 404
    assert [line["request_id"] for line in lines.parsed()] == ["missing-1"]
    assert app.state.access_log.sampled_out == 20


def test_sampling_is_off_by_default(client: TestClient) -> None:
    state = client.get("/v1/meta/access-log").json()
    assert state["enabled"] is True
    assert state["sample_rate"] == 1.0
    assert state["buffer_lines"] == Settings.model_fields["access_log_buffer_lines"].default


@pytest.mark.parametrize(
    "path",
    ["/v1/therapies", '/quote"and\\backslash', "/new\nline\ttab\x00nul", "/é/日本", "/lone\ud800"],
)
def test_each_line_is_json_whatever_the_path(path: str) -> None:
    log = AccessLog(capacity=10)
    lines = Lines()
    log.sink = lines
    started = time.perf_counter()
    log.add((started, started + 0.0123456, "id-1", "GET", path, b"q=%FF\xff", 404, None))
    log.add(entry("id-2"))
    log.flush()
    [chunk] = lines.chunks
    assert chunk.count(b"\n") == 2
    first, second = lines.parsed()
    assert list(first) == list(second)  # the same fields in the same order, either way
    assert (first["request_id"], first["path"], first["status"]) == ("id-1", path, 404)
    assert first["query"] == "q=%FF\xff"
    assert first["duration_ms"] == 12.346
    assert first["client"] == ""
    assert second["client"] == "127.0.0.1"
