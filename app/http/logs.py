"""Structured logs: one JSON object per line, on standard error, at a configured level.

Two paths write them:

- `logging` (`JsonFormatter`, `logging_config`): the app's and uvicorn's own messages, errors
  with their stack trace. They are rare, so a `LogRecord` each is no cost.
- `AccessLog`: the access line of every request. The request guard queues what it knows when a
  request ends (a tuple, no formatting, no I/O) in a bounded buffer; a thread of its own turns
  what is queued into JSON lines and writes them to the sink in one write per batch: when 256
  lines are waiting, at least every second, and at shutdown. A slow or stalled sink never holds
  up a request: when the buffer is full, the line is dropped and counted, and the count is
  logged and served at `/v1/meta/access-log`
  (docs/decisions/0016-buffered-access-log.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import orjson

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

access_logger = logging.getLogger("app.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig for the app's and uvicorn's loggers (uvicorn's own access log is off:
    the app writes its own access line with the request id, through `AccessLog`)."""
    # No record needs its caller's frame, thread or process (the lines carry the request id):
    # skipping them is the logging HOWTO's "Optimization" advice.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "loggers": {
            "app": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def access_log_enabled(level: str) -> bool:
    """Access lines are info lines: written at LOG_LEVEL debug or info, not above."""
    return level.lower() in ("debug", "info")


AccessEntry = tuple[float, float, str, str, str, bytes, int, Any]
"""What the request guard knows when a request ends: (started, ended) on `time.perf_counter`,
request id, method, path, raw query string, status, and the ASGI client (host, port) or None."""

Sink = Callable[[bytes], None]

FLUSH_SECONDS = 1.0  # the longest a queued line waits for the writer
BATCH_LINES = 256  # the writer is woken early when this many lines wait
STOP_SECONDS = 5.0  # at shutdown, how long the writer gets to hand what is queued to the sink


# The access line: the fields, in the order, the access log has always written.
_LINE = (
    b'{"time":"%b%b","level":"info","logger":"app.access","message":"request",'
    b'"request_id":%b,"method":%b,"path":%b,"query":%b,"status":%d,"duration_ms":%.3f,'
    b'"client":%b}\n'
)
_MILLISECONDS = tuple(f".{ms:03d}+00:00".encode() for ms in range(1000))


def _utc_second(second: int) -> str:
    return dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _escaped_line(entry: AccessEntry, at: float) -> bytes:
    """The same line through the standard library's json, for what orjson refuses (text that
    is not valid Unicode, which json escapes as it is)."""
    started, ended, request_id, method, path, query, status, client = entry
    line = {
        "time": dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="milliseconds"),
        "level": "info",
        "logger": "app.access",
        "message": "request",
        "request_id": str(request_id),
        "method": str(method),
        "path": str(path),
        "query": query.decode("latin-1"),
        "status": status,
        "duration_ms": round((ended - started) * 1000, 3),
        "client": client[0] if client else "",
    }
    return json.dumps(line, separators=(",", ":"), default=str).encode() + b"\n"


def write_stderr(data: bytes) -> None:
    """The default sink: standard error, through the same buffer as the other log lines."""
    stream = sys.stderr
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(data.decode())
        stream.flush()
    else:
        buffer.write(data)
        buffer.flush()


class AccessLog:
    """The access log: one JSON line per request, queued by the request guard without
    formatting or I/O (`add`, on the event loop) and written in batches by a thread of its
    own (`start`, `stop`: the app's lifespan).

    Counters: `written` and `failed` (the sink raised) belong to the writer thread, `dropped`
    (the buffer was full) and `sampled_out` to the event loop, so each has one writer."""

    def __init__(
        self,
        *,
        capacity: int,
        sample_rate: float = 1.0,
        sink: Sink | None = None,
        flush_seconds: float = FLUSH_SECONDS,
    ):
        self.capacity = capacity
        self.sample_rate = sample_rate
        self.sink: Sink = sink or write_stderr
        self.flush_seconds = flush_seconds
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self.sampled_out = 0
        self._reported = 0
        # deque.append and deque.popleft are atomic: the loop appends, the writer pops.
        self._pending: deque[AccessEntry] = deque()
        self._wake_after = min(BATCH_LINES, max(1, capacity // 2)) - 1
        self._wake = threading.Event()
        self._flushing = threading.Lock()  # one flush at a time: the writer's, or a caller's
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._second = -1
        self._stamp = b""

    @property
    def lost(self) -> int:
        """Lines that never reached the sink: dropped on a full buffer, or refused by it."""
        return self.dropped + self.failed

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def add(self, entry: AccessEntry) -> None:
        """Queue one request's line. Called on the event loop; never blocks, never formats."""
        if self.sample_rate < 1.0 and entry[6] < 400 and random.random() >= self.sample_rate:
            self.sampled_out += 1
            return
        pending = self._pending
        queued = len(pending)
        if queued >= self.capacity:
            self.dropped += 1
            return
        pending.append(entry)
        if queued == self._wake_after:
            self._wake.set()

    def start(self) -> None:
        """Start the writer thread (the app's lifespan, at startup)."""
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Write what is queued and stop the writer (the app's lifespan, at shutdown)."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._wake.set()
        thread.join(timeout)
        self._thread = None
        if thread.is_alive():  # the sink is stalled: what it holds and what waits is lost
            access_logger.error(
                "access log sink stalled at shutdown",
                extra={"unwritten": len(self._pending), "dropped_total": self.lost},
            )

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()
        self.flush()

    def flush(self) -> None:
        """Write every queued line to the sink in one write, and report new drops."""
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        pending = self._pending
        count = len(pending)
        if count:
            popleft = pending.popleft
            data = self._lines([popleft() for _ in range(count)])
            try:
                self.sink(data)
            except Exception:
                self.failed += count
            else:
                self.written += count
        lost = self.lost
        if lost > self._reported:
            access_logger.warning(
                "access lines dropped",
                extra={"dropped": lost - self._reported, "dropped_total": lost},
            )
            self._reported = lost

    def _lines(self, entries: list[AccessEntry]) -> bytes:
        """Entries as the JSON lines the access log has always written. This is most of what
        a line costs, so each line is one %-format of a fixed template, its strings escaped by
        orjson, which costs less than a dict through orjson.dumps
        (docs/decisions/0016-buffered-access-log.md)."""
        # perf_counter readings become wall-clock times against one reading of each clock.
        perf_to_wall = time.time() - time.perf_counter()
        dumps = orjson.dumps
        lines = []
        for entry in entries:
            started, ended, request_id, method, path, query, status, client = entry
            at = ended + perf_to_wall
            second = int(at)
            if second != self._second:  # one strftime a second, not one a line
                self._second = second
                self._stamp = _utc_second(second).encode()
            try:
                lines.append(
                    _LINE
                    % (
                        self._stamp,
                        _MILLISECONDS[int((at - second) * 1000)],
                        dumps(request_id),
                        dumps(method),
                        dumps(path),
                        dumps(query.decode("latin-1")),
                        status,
                        (ended - started) * 1000,
                        dumps(client[0] if client else ""),
                    )
                )
            except (orjson.JSONEncodeError, TypeError):  # say, a lone surrogate in the path
                lines.append(_escaped_line(entry, at))
        return b"".join(lines)

    def state(self) -> dict[str, Any]:
        """The counters, as `/v1/meta/access-log` serves them."""
        return {
            "enabled": True,
            "written": self.written,
            "dropped": self.lost,
            "buffered": self.buffered,
            "buffer_lines": self.capacity,
            "sample_rate": self.sample_rate,
        }
