"""SIGTERM right after a burst of requests: every access line queued reaches standard error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from tests.factories import seed_document
from tests.servers import free_port


def test_sigterm_writes_every_queued_access_line(
    database_url: str, load: Callable[[dict[str, Any]], None]
) -> None:
    load(seed_document())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env={**os.environ, "DATABASE_URL": database_url, "PORT": str(port), "LOG_LEVEL": "info"},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    sent: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with httpx.Client(base_url=base, timeout=10) as client:
            # Fewer lines than a batch, and the signal follows at once: unless the writer's
            # timer happens to fire, only the shutdown writes them.
            for number in range(200):
                request_id = f"before-sigterm-{number}"
                path = "/v1/therapies" if number % 2 else "/v1/therapies/nothing"
                response = client.get(path, headers={"X-Request-ID": request_id})
                assert response.status_code in (200, 404)
                sent.append(request_id)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) in (0, -signal.SIGTERM)
        log.seek(0)
        output = log.read().decode()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()

    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("message") == "request"]
    logged = Counter(line["request_id"] for line in access if line["path"] != "/healthz")
    assert logged == Counter(sent)  # every line, once
    assert "Application shutdown complete" in output
    assert not [line for line in lines if line.get("message") == "access lines dropped"]
