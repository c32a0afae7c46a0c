"""The stack's limit: a bare ASGI app answering every request with the same pre-serialized bytes.

BENCH_BODY_FILE=body.json BENCH_CONTENT_ENCODING=gzip uvicorn bench.bare_app:app
(the body file holds the bytes as sent, already compressed when a content-coding is named)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODY = (
    Path(os.environ.get("BENCH_BODY_FILE", "")).read_bytes()
    if os.environ.get("BENCH_BODY_FILE")
    else b'{"ok":true}'
)
ENCODING = os.environ.get("BENCH_CONTENT_ENCODING", "")
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
if ENCODING:
    HEADERS.append((b"content-encoding", ENCODING.encode()))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
