"""The OpenAPI document: what the routes declare, plus what the HTTP layer adds to every GET.

- Response examples are taken from the seed: the first time the document is asked for, the
  seed is loaded into a private in-memory database and every GET operation is called once
  through the app itself, so each example is a real response for a real record (the first of
  its type by slug), never hand-written.
- Every GET declares the 304 that `If-None-Match` can give and the caching headers of its 200
  (ETag, Cache-Control, Vary; Link on lists), which the HTTP cache layer sets; the few that are
  never cached (`NO_STORE_PATHS`) declare `Cache-Control: no-store` and no ETag instead.
- The document is shaped for generated clients (`shape_for_clients`): optional parameters are
  their type (never `X | null`: an absent parameter is not a null one), merge-patch bodies are
  named components, `If-Match` is required where its absence is a 428, every path parameter
  has an example, and the export declares its SeedDocument body
  (docs/decisions/0020-openapi-shaped-for-generated-clients.md).
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
from sqlmodel import Session, SQLModel, create_engine, select

from app.models import (
    ApiKeyCreate,
    Fact,
    Indication,
    InjectateUse,
    Role,
    SideEffectReport,
    Therapy,
)
from app.writes.keys import create_key
from app.writes.seed import SeedError, load_document, read_document

EXAMPLE_LIMIT = 2
EXAMPLE_BASE = "http://127.0.0.1:8000"


def _memory_engine() -> Engine:
    return create_engine(
        "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
    )


LINK_TABLES: dict[str, Any] = {
    "indications": Indication,
    "injectate-uses": InjectateUse,
    "side-effect-reports": SideEffectReport,
    "facts": Fact,
}
"""A link path's segment and its table: the example id is the first link of its kind."""


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


def _first_links(engine: Engine) -> dict[str, tuple[str, int]]:
    """Each link path segment's first link, as (its therapy's slug, its id)."""
    found: dict[str, tuple[str, int]] = {}
    with Session(engine) as session:
        for segment, table in LINK_TABLES.items():
            row = session.exec(
                select(Therapy.slug, table.id)
                .join(Therapy, table.therapy_id == Therapy.id)
                .order_by(Therapy.slug, table.id)
                .limit(1)
            ).first()
            if row is not None:
                found[segment] = (row[0], int(row[1]))
    return found


def _path_values(path: str, firsts: dict[str, str], links: dict[str, tuple[str, int]]) -> Any:
    """The example value of each parameter in `path`, or None when the seed has none."""
    parts = path.removeprefix("/v1/").split("/")
    if "{id}" in path:
        link = links.get(parts[2])
        return None if link is None else {"slug": link[0], "id": link[1]}
    if "{slug}" in path:
        resource = parts[0].replace("-", "_")
        return None if resource not in firsts else {"slug": firsts[resource]}
    return {}


def _is_page(operation: dict[str, Any], schema: dict[str, Any]) -> bool:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    component = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1], {})
    return {"items", "links"} <= set(component.get("properties", {}))


def _example_url(path: str, is_page: bool, values: dict[str, Any], firsts: dict[str, str]) -> str:
    if path == "/v1/search" and "conditions" in firsts:
        # The search needs a query: the first condition's slug, read as words.
        query = firsts["conditions"].replace("-", "+")
        return f"{path}?q={query}&limit={EXAMPLE_LIMIT}"
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", str(value))
    return f"{path}?limit={EXAMPLE_LIMIT}" if is_page else path


def _trimmed_export(document: dict[str, Any]) -> dict[str, Any]:
    """The export's example: the first record of each list (the whole seed is too long)."""
    return {key: value[:1] if isinstance(value, list) else value for key, value in document.items()}


def add_examples(schema: dict[str, Any], app_factory: Any, seed_file: Path) -> None:
    """Set a seed-derived example on every path parameter and on the 200 response of every
    operation that has one: GETs are called as they are (the curation reads with a key made
    for the purpose); a PATCH or PUT answers what its path's GET does."""
    loaded = _first_slugs(seed_file)
    if loaded is None:
        return
    engine, firsts = loaded
    links = _first_links(engine)
    with Session(engine) as session:
        _, secret = create_key(session, ApiKeyCreate(name="openapi-examples", role=Role.admin))
    requests: dict[str, dict[str, Any]] = {}
    writes: list[tuple[str, dict[str, Any]]] = []
    for path, item in schema.get("paths", {}).items():
        values = _path_values(path, firsts, links)
        if values is None:
            continue
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in values:
                    parameter["example"] = values[parameter["name"]]
        for method, operation in item.items():
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            if "application/json" not in content:
                continue
            if method == "get":
                url = _example_url(path, _is_page(operation, schema), values, firsts)
                requests[url] = content["application/json"]
            elif method in ("patch", "put"):
                writes.append((path, content["application/json"]))

    async def fetch_all() -> None:
        transport = httpx.ASGITransport(app=app_factory(engine))
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(
            transport=transport, base_url=EXAMPLE_BASE, headers=headers
        ) as client:
            for url, content in requests.items():
                response = await client.get(url)
                if response.status_code == 200:
                    body = response.json()
                    whole = url in ("/v1/export", "/v1/dataset")
                    content["example"] = _trimmed_export(body) if whole else body

    # The document is built inside a running event loop; the examples are fetched on a loop
    # of their own, in a worker thread, once per process.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, fetch_all()).result()
    engine.dispose()
    paths = schema.get("paths", {})
    for path, content in writes:
        read = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        if "example" in read:
            content["example"] = read["example"]


HEADER_DOCS = {
    "ETag": "Strong validator of this representation; send it back in If-None-Match.",
    "Cache-Control": "public, max-age=<CACHE_MAX_AGE seconds>",
    "Vary": "Accept, Accept-Encoding (and Origin when CORS is limited to listed origins).",
}
LINK_DOC = "RFC 8288 links to the first, prev, next and last pages, as in the body's links."


def _header_doc(text: str) -> dict[str, Any]:
    return {"description": text, "schema": {"type": "string"}}


NO_STORE_PATHS = ("/healthz", "/readyz", "/v1/audit", "/v1/export", "/v1/meta/access-log")
"""GETs answered with `Cache-Control: no-store` and no ETag: probes, and what a key or this
process alone may see. tests/http/test_openapi.py checks the document against the answers."""


def declare_http_caching(schema: dict[str, Any]) -> None:
    """Declare the 304 and the caching headers of every GET operation (`no-store` alone for
    NO_STORE_PATHS)."""
    for path, item in schema.get("paths", {}).items():
        operation = item.get("get")
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        ok = responses.get("200")
        if path in NO_STORE_PATHS:
            if ok is not None:
                ok.setdefault("headers", {})["Cache-Control"] = _header_doc(
                    "no-store: never cached, never revalidated."
                )
            continue
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


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | null` -> `X`, keeping the outer schema's description, title and default."""
    options = schema.get("anyOf")
    if not options or {"type": "null"} not in options:
        return schema
    rest = [option for option in options if option != {"type": "null"}]
    outer = {key: value for key, value in schema.items() if key != "anyOf"}
    if outer.get("default", 0) is None:
        outer.pop("default")
    if len(rest) == 1:
        return {**rest[0], **outer}
    return {"anyOf": rest, **outer}


def _name_patch_body(operation: dict[str, Any], components: dict[str, Any]) -> None:
    """Move a PATCH's inline merge-patch schema to a component named by its title."""
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/merge-patch+json")
    if body is None or "$ref" in body.get("schema", {}):
        return
    name = body["schema"]["title"]
    components[name] = body["schema"]
    body["schema"] = {"$ref": f"#/components/schemas/{name}"}


def shape_for_clients(schema: dict[str, Any]) -> None:
    """What generated clients need of the document (see the module's docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # Relative: the document describes the server that serves it, wherever that is.
    schema.setdefault("servers", [{"url": "/", "description": "The server of this document."}])
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            # No key needed, said explicitly (the writes and curation reads name ApiKey).
            operation.setdefault("security", [])
            for parameter in operation.get("parameters", []):
                if not parameter.get("required"):
                    parameter["schema"] = _without_null(parameter["schema"])
                if parameter["in"] == "header" and parameter["name"] == "If-Match":
                    parameter["required"] = True
            _name_patch_body(operation, components)
            if any(parameter["name"] == "format" for parameter in operation.get("parameters", [])):
                text = {"schema": {"type": "string"}}
                content = operation["responses"]["200"]["content"]
                content.update({"text/csv": text, "application/x-ndjson": text})
            if method == "get" and path == "/v1/export":
                ok = operation["responses"]["200"]
                ok["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/SeedDocument"}}
                }


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


def build_document(app: FastAPI, app_factory: Any = None, seed_file: Path | None = None) -> Any:
    """The app's OpenAPI document, declared and shaped as this module says; with the seed's
    examples when given the factory of an app to take them from (and the seed file)."""
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
    shape_for_clients(schema)
    if app_factory is not None and seed_file is not None:
        add_examples(schema, app_factory, seed_file)
    return schema


def install_openapi(app: FastAPI, app_factory: Any, seed_file: Path) -> None:
    """Replace `app.openapi` with one that adds caching declarations and the seed's examples."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app, app_factory, seed_file)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
