"""What an access line costs, in process, on one core: its parts, and a whole cache hit with the
access log on and off.

- `logging` line: the access line as a `LogRecord` through `logging` and `JsonFormatter` to a
  stream handler (the way the guard wrote it before the buffered access log), to /dev/null;
- `AccessLog.add`: what the request guard does now, on the event loop (the tuple, the clock,
  the queue);
- writer, per line: the writer thread's share, formatting and one write per batch of 256 lines;
- a cache hit through the app (`GET /v1/conditions?limit=20`, gzip), driven as ASGI without a
  socket, with the access log on (writer thread running, writing to /dev/null) and off
  (LOG_LEVEL=warning), turn about; the difference is the log's whole cost, the writer's time
  under the GIL included.

Times are CPU time of the whole process (`time.process_time`: every thread, so the writer's
work counts, and time spent waiting for a core on a busy machine does not); each figure is the
median of several repeats, the two apps taking turns:

    python bench/access_log_cost.py [--repeats 7] [--lines 200000] [--hits 100000]

With an older checkout first on PYTHONPATH it measures that code (its access log, if it has no
`AccessLog`, is the `logging` one).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import logging.config
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import perf_counter, process_time, sleep
from typing import Any

from app.config import PROJECT_ROOT, Settings
from app.http.logs import JsonFormatter, logging_config
from app.main import create_app
from app.store.engine import make_engine, migrate
from app.writes.seed import load_document, validate_document

try:
    from app.http.logs import AccessLog
except ImportError:  # a checkout from before the buffered access log
    AccessLog = None

DEVNULL = open(os.devnull, "wb")  # lives as long as the process


REQUEST_ID = "0123456789abcdef0123456789abcdef"


def devnull_sink(data: bytes) -> None:
    DEVNULL.write(data)
    DEVNULL.flush()


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeats))


def logging_line_us(count: int) -> float:
    """The access line the way the guard wrote it with `logging`, per line, in microseconds."""
    logging.config.dictConfig(logging_config("info"))  # the record-saving flags it sets
    logger = logging.getLogger("bench.access")
    logger.handlers = [logging.StreamHandler(open(os.devnull, "w"))]
    logger.handlers[0].setFormatter(JsonFormatter())
    logger.propagate = False
    logger.setLevel(logging.INFO)
    query = b"limit=20"
    client = ("127.0.0.1", 50000)
    begun = perf_counter()
    started = process_time()
    for _ in range(count):
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "request",
                extra={
                    "request_id": REQUEST_ID,
                    "method": "GET",
                    "path": "/v1/conditions",
                    "query": query.decode("latin-1"),
                    "status": 200,
                    "duration_ms": round((perf_counter() - begun) * 1000, 3),
                    "client": (client or ("", 0))[0],
                },
            )
    return (process_time() - started) / count * 1e6


def add_us(count: int) -> float:
    """`AccessLog.add` as the guard calls it, per line, in microseconds."""
    log = AccessLog(capacity=count + 1, sink=devnull_sink)
    client = ("127.0.0.1", 50000)
    begun = perf_counter()
    started = process_time()
    for _ in range(count):
        log.add(
            (
                begun,
                perf_counter(),
                REQUEST_ID,
                "GET",
                "/v1/conditions",
                b"limit=20",
                200,
                client,
            )
        )
    return (process_time() - started) / count * 1e6


def writer_us(count: int, batch: int = 256) -> float:
    """The writer's formatting and writing, per line, in batches, in microseconds."""
    log = AccessLog(capacity=batch + 1, sink=devnull_sink)
    client = ("127.0.0.1", 50000)
    spent = 0.0
    for _ in range(count // batch):
        now = perf_counter()
        for _ in range(batch):
            log.add((now, now, REQUEST_ID, "GET", "/v1/conditions", b"limit=20", 200, client))
        started = process_time()
        log.flush()
        spent += process_time() - started
    return spent / (count // batch * batch) * 1e6


def seeded_database(directory: Path) -> str:
    url = f"sqlite:///{directory / 'kb.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    seed = json.loads((PROJECT_ROOT / "data" / "seed.json").read_text(encoding="utf-8"))
    load_document(engine, validate_document(seed))
    engine.dispose()
    return url


SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/v1/conditions",
    "raw_path": b"/v1/conditions",
    "query_string": b"limit=20",
    "root_path": "",
    "headers": [
        (b"host", b"127.0.0.1:8000"),
        (b"accept-encoding", b"gzip"),
        (b"user-agent", b"wrk"),
    ],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
    "state": {},
}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


async def hits_us(app: Any, count: int) -> float:
    """A cache hit through the whole app, per request, in microseconds of CPU, the access log
    writer's included: the clock stops once it has written every line the hits queued."""
    access_log = getattr(app.state, "access_log", None)
    started = process_time()
    for _ in range(count):
        await app(dict(SCOPE), _receive, _send)
    if access_log is not None:
        while access_log.buffered:
            sleep(0.001)
        with access_log._flushing:  # the writer's last batch is written
            pass
    return (process_time() - started) / count * 1e6


def hit_apps(url: str) -> dict[str, Any]:
    """An app with the access log on (the defaults) and one with it off, both warm."""
    apps = {}
    for name, level in (("on", "info"), ("off", "warning")):
        app = create_app(Settings(database_url=url, log_level=level), openapi_examples=False)
        access_log = getattr(app.state, "access_log", None)
        if access_log is not None:
            access_log.sink = devnull_sink
        apps[name] = app
    return apps


async def measure_hits(apps: dict[str, Any], count: int, repeats: int) -> dict[str, float]:
    for app in apps.values():
        for _ in range(3):  # the first stores the answer; the version is then read
            await app(dict(SCOPE), _receive, _send)
        app.state.dataset_version.ttl = 3600  # fresh for the run: every request is a hit
        await app(dict(SCOPE), _receive, _send)
        access_log = getattr(app.state, "access_log", None)
        if access_log is not None:
            access_log.start()
    gc.collect()
    gc.freeze()  # as app/main.py does at start
    samples: dict[str, list[float]] = {name: [] for name in apps}
    app_logger = logging.getLogger("app")  # a checkout that logs access lines with `logging`
    for _ in range(repeats):
        for name, app in apps.items():
            app_logger.setLevel(logging.INFO if name == "on" else logging.WARNING)
            samples[name].append(await hits_us(app, count))
    for app in apps.values():
        access_log = getattr(app.state, "access_log", None)
        if access_log is not None:
            access_log.stop()
            assert access_log.lost == 0, "lines were dropped: the figure would flatter"
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--hits", type=int, default=100_000)
    args = parser.parse_args()
    # The old access line went to standard error through `logging`: send that to /dev/null.
    sys.stderr = open(os.devnull, "w")
    results: dict[str, float] = {}
    results["logging line"] = median_of(args.repeats, lambda: logging_line_us(args.lines))
    if AccessLog is not None:
        results["AccessLog.add"] = median_of(args.repeats, lambda: add_us(args.lines))
        results["writer, per line"] = median_of(args.repeats, lambda: writer_us(args.lines))
    with tempfile.TemporaryDirectory() as directory:
        url = seeded_database(Path(directory))
        logging.config.dictConfig(logging_config("info"))
        apps = hit_apps(url)
        hits = asyncio.run(measure_hits(apps, args.hits, args.repeats))
    results["hit, log off"] = hits["off"]
    results["hit, log on"] = hits["on"]
    sys.stdout.write(
        f"Python {sys.version.split()[0]}, medians of {args.repeats} repeats, microseconds:\n"
    )
    for name, value in results.items():
        sys.stdout.write(f"  {name:20} {value:8.3f} us\n")
    cost = hits["on"] - hits["off"]
    sys.stdout.write(
        f"  the log's cost on a hit: {cost:.3f} us, {cost / hits['off']:.1%} of a hit with it "
        f"off; log-on / log-off rate {hits['off'] / hits['on']:.3f}\n"
    )


if __name__ == "__main__":
    main()
