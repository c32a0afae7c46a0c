"""The OpenAPI document: what the routes declare, plus what the HTTP layer adds to every GET.

- Response examples are taken from the seed: the first time the document is asked for, the
  seed is loaded into a private in-memory database and every GET operation is called once
  through the app itself, so each example is a real response for a real record (the first of
  its type by slug), never hand-written.
- Every GET declares the 304 that `If-None-Match` can give and the caching headers of its 200
  (ETag, Cache-Control, Vary; Link on lists), which the HTTP cache layer sets.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from app.writes.seed import SeedError, load_document, read_document

EXAMPLE_LIMIT = 2
EXAMPLE_BASE = "http://127.0.0.1:8000"


def _memory_engine() -> Engine:
    return create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )


def _first_slugs(seed_file: Path) -> tuple[Engine, dict[str, str]] | None:
    try:
        document = read_document(seed_file)
    except SeedError:
        return None
    engine = _memory_engine()
    SQLModel.metadata.create_all(engine)
    load_document(engine, document)
    firsts = {
        key: min(item.slug for item in getattr(document, key))
        for key in ("therapies", "conditions", "injectates", "side_effects", "outcomes", "sources")
        if getattr(document, key)
    }
    return engine, firsts


def _is_page(operation: dict[str, Any], schema: dict[str, Any]) -> bool:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    component = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    return {"items", "links"} <= set(component.get("properties", {}))


def _example_url(path: str, is_page: bool, firsts: dict[str, str]) -> str | None:
    if path == "/v1/search" and "conditions" in firsts:
        # The search needs a query: the first condition's slug, read as words.
        query = firsts["conditions"].replace("-", "+")
        return f"{path}?q={query}&limit={EXAMPLE_LIMIT}"
    resource = path.removeprefix("/v1/").split("/")[0].replace("-", "_")
    if "{slug}" in path:
        if resource not in firsts:
            return None
        path = path.replace("{slug}", firsts[resource])
    return f"{path}?limit={EXAMPLE_LIMIT}" if is_page else path


def add_examples(schema: dict[str, Any], app_factory: Any, seed_file: Path) -> None:
    """Set a seed-derived example on the 200 response of every GET operation under /v1."""
    loaded = _first_slugs(seed_file)
    if loaded is None:
        return
    engine, firsts = loaded
    requests: dict[str, dict[str, Any]] = {}
    for path, item in schema.get("paths", {}).items():
        operation = item.get("get")
        if not path.startswith("/v1/") or operation is None:
            continue
        url = _example_url(path, _is_page(operation, schema), firsts)
        content = operation.get("responses", {}).get("200", {}).get("content", {})
        if url is not None and "application/json" in content:
            requests[url] = content["application/json"]

    async def fetch_all() -> None:
        transport = httpx.ASGITransport(app=app_factory(engine))
        async with httpx.AsyncClient(transport=transport, base_url=EXAMPLE_BASE) as client:
            for url, content in requests.items():
                response = await client.get(url)
                if response.status_code == 200:
                    content["example"] = response.json()

    # The document is built inside a running event loop; the examples are fetched on a loop
    # of their own, in a worker thread, once per process.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, fetch_all()).result()
    engine.dispose()


HEADER_DOCS = {
    "ETag": "Strong validator of this representation; send it back in If-None-Match.",
    "Cache-Control": "public, max-age=<CACHE_MAX_AGE seconds>",
    "Vary": "Accept-Encoding (and Origin when CORS is limited to listed origins).",
}
LINK_DOC = "RFC 8288 links to the first, prev, next and last pages, as in the body's links."


def _header_doc(text: str) -> dict[str, Any]:
    return {"description": text, "schema": {"type": "string"}}


def declare_http_caching(schema: dict[str, Any]) -> None:
    """Declare the 304 and the caching headers of every GET operation."""
    for item in schema.get("paths", {}).values():
        operation = item.get("get")
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        ok = responses.get("200")
        if ok is not None:
            docs = dict(HEADER_DOCS)
            if _is_page(operation, schema):
                docs["Link"] = LINK_DOC
            ok.setdefault("headers", {}).update(
                {name: _header_doc(text) for name, text in docs.items()}
            )
        responses.setdefault(
            "304",
            {
                "description": "Not Modified: the If-None-Match ETag is current; no body.",
                "headers": {"ETag": _header_doc(HEADER_DOCS["ETag"])},
            },
        )


GUARD_RESPONSES = {
    "400": "Bad Request: a NUL byte or text that is not UTF-8 in the path or query string.",
    "429": "Too Many Requests (only when RATE_LIMIT_PER_MINUTE is set); see Retry-After.",
}


def declare_guard_responses(schema: dict[str, Any]) -> None:
    """Declare what the request guard can answer to any operation (and 413 to bodies)."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in GUARD_RESPONSES.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": problem}
                )
            if "requestBody" in operation:
                operation["responses"].setdefault(
                    "413",
                    {"description": "Content Too Large: see MAX_BODY_BYTES.", "content": problem},
                )


def install_openapi(app: FastAPI, app_factory: Any, seed_file: Path) -> None:
    """Replace `app.openapi` with one that adds caching declarations and the seed's examples."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
            license_info=app.license_info,
        )
        declare_http_caching(schema)
        declare_guard_responses(schema)
        add_examples(schema, app_factory, seed_file)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
