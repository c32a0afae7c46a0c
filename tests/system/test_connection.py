"""The connection under the app (app/http/connection.py), through real sockets to `kb serve`:
requests uvicorn cannot parse get the API's problem document, and SIGTERM answers a request
already sent on an idle kept-alive connection."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.factories import seed_document
from tests.servers import free_port, running_server

Load = Callable[[dict[str, Any]], None]


def _exchange(port: int, raw: bytes) -> bytes:
    """Send raw bytes on a new connection; everything the server answers before it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        return _read_until_closed(sock)


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _parse(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /v1/therapies HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
        b"NOT A REQUEST LINE\r\n\r\n",
        b"GET /v1/therapies HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ],
)
def test_unparseable_requests_get_a_problem_document(
    database_url: str, load: Load, raw: bytes
) -> None:
    load(seed_document())
    with running_server(database_url) as base:
        port = int(base.rsplit(":", 1)[1])
        status, headers, body = _parse(_exchange(port, raw))
        normal = httpx.get(f"{base}/v1/therapies/nothing")
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    problem = json.loads(body)
    assert problem["status"] == 400
    assert problem["type"] == "/problems/bad-request"
    assert problem["detail"].startswith("The request is not valid HTTP/1.1")
    assert headers["connection"] == "close"
    assert len(headers["x-request-id"]) == 32
    # the same headers as any error the app answers
    for name in ("cache-control", "x-content-type-options", "referrer-policy"):
        assert headers[name] == normal.headers[name], name
    assert headers["access-control-allow-origin"] == "*"


@contextmanager
def _server(database_url: str, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env={**os.environ, "DATABASE_URL": database_url, "PORT": str(port), **env},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        log.close()


REQUEST = b"GET /v1/therapies HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _one_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read exactly one response (with Content-Length) from a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before a response"
        received += chunk
    status, headers, body = _parse(received)
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the connection closed in the middle of a response"
        body += chunk
    return status, headers, body


def test_sigterm_answers_a_request_sent_on_an_idle_kept_alive_connection(
    database_url: str, load: Load
) -> None:
    load(seed_document())
    with _server(database_url, SHUTDOWN_DRAIN_SECONDS="2") as (process, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(REQUEST)
            first, headers, _ = _one_response(sock)
            assert (first, headers.get("connection")) == (200, None)  # kept alive
            process.send_signal(signal.SIGTERM)
            time.sleep(0.3)  # shutdown has begun; uvicorn alone closes this idle connection now
            sock.sendall(REQUEST)
            second, headers, body = _one_response(sock)
            assert second == 200
            assert json.loads(body)["items"]
            assert headers["connection"] == "close"
            assert sock.recv(1) == b""  # then the connection closes
        # and new connections are refused from the start of shutdown
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)


def test_sigterm_closes_idle_connections_after_the_drain_window(
    database_url: str, load: Load
) -> None:
    load(seed_document())
    with _server(database_url, SHUTDOWN_DRAIN_SECONDS="0.5") as (process, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(REQUEST)
            assert _one_response(sock)[0] == 200
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert sock.recv(1) == b""  # closed by the server, without a request
            assert time.monotonic() - started < 5
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
