"""Response examples in the OpenAPI document, taken from the seed.

The first time the document is asked for, the seed is loaded into a private in-memory database
and every GET operation is called once through the app itself, so each example is a real
response for a real record (the first of its type by slug), never hand-written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from app.seed import SeedError, load_document, read_document

EXAMPLE_LIMIT = 2


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
    with TestClient(app_factory(engine), base_url="http://127.0.0.1:8000") as client:
        for path, item in schema.get("paths", {}).items():
            operation = item.get("get")
            if not path.startswith("/v1/") or operation is None:
                continue
            url = _example_url(path, _is_page(operation, schema), firsts)
            content = operation.get("responses", {}).get("200", {}).get("content", {})
            if url is None or "application/json" not in content:
                continue
            response = client.get(url)
            if response.status_code == 200:
                content["application/json"]["example"] = response.json()
    engine.dispose()


def install_openapi_examples(app: FastAPI, app_factory: Any, seed_file: Path) -> None:
    """Replace `app.openapi` with one that adds the seed's examples to 200 responses."""

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
        add_examples(schema, app_factory, seed_file)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
