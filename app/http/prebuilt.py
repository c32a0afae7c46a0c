"""Answers the database wrote (app/reads/), sent as they are.

A route that returns one declares `response_class=PrebuiltJSON` beside its `response_model`:
the model documents the body in the OpenAPI document, and FastAPI does not serialize it
again. Every such route's bodies are validated against their model by one test that walks
them all (tests/http/test_prebuilt.py), on both engines.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


class PrebuiltJSON(JSONResponse):
    """JSON text written by the database: the body as it will be sent. A JSONResponse, so
    that the OpenAPI document takes the route's model as its schema, but the content is
    already JSON: it is sent as it is, never serialized again."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else str(content).encode()


def detail_response(found: Any, *, etag: str) -> PrebuiltJSON:
    """A record's detail (`found.body`, from a read of app/reads/) with its ETag."""
    return PrebuiltJSON(found.body.encode(), headers={"ETag": etag})
