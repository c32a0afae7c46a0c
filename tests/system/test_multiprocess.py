"""Several server processes sharing one database never serve data older than one second."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.factories import seed_document
from tests.servers import running_server

DETAIL = "/v1/therapies/perineural-injection-therapy"


def test_change_by_another_process_reaches_every_server_within_one_second(
    database_url: str, load: Callable[[dict[str, Any]], None], tmp_path: Path
) -> None:
    load(seed_document())
    with running_server(database_url) as first, running_server(database_url) as second:
        for base in (first, second):  # warm both response caches
            for _ in range(3):
                assert httpx.get(base + DETAIL).json()["summary"].startswith("Small injections")
        changed = seed_document()
        changed["therapies"][0]["summary"] = "Changed by a third process."
        path = tmp_path / "changed.json"
        path.write_text(json.dumps(changed), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "seed", "--quiet", "--file", str(path)],
            env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        changed_at = time.monotonic()
        time.sleep(1.0)
        for base in (first, second):
            response = httpx.get(base + DETAIL)
            assert response.json()["summary"] == "Changed by a third process.", base
            assert response.headers["etag"].startswith('"2-')
        assert time.monotonic() - changed_at < 5
