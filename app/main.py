"""The app factory: settings, engine, the stack (app/http/stack.py), routers — nothing else."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio.to_thread
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from app.config import Settings, get_settings
from app.http.cache import DatasetVersion
from app.http.docs import install_docs
from app.http.openapi import install_openapi
from app.http.problems import install_error_handlers
from app.http.route_index import install_route_index
from app.http.shared_rate_limit import SharedRateLimiter
from app.http.stack import KnowledgeBaseAPI, install_stack
from app.routes import routers
from app.store.engine import server_engine
from app.store.replicas import server_replicas
from app.store.version import read_version

DESCRIPTION = """
A sourced knowledge base of injection therapies for pain — classical dextrose prolotherapy and
perineural injection therapy (neural prolotherapy) — with the conditions they are used for, what
is injected, side effects and reported outcomes.

**Every clinical statement carries its source and its level of evidence**, from
`systematic-review` down to `practitioner-claim` (a clinic's marketing statement). Information
for health professionals, not medical advice.

Start with `GET /v1/conditions/{slug}/therapies`: for a condition, every therapy with its
injectates, outcomes (strongest evidence first) and side effects. Errors are
`application/problem+json` (RFC 9457).
"""

TAGS = [
    {"name": "search", "description": "One ranked search across every record type."},
    {"name": "therapies", "description": "Treatments: aliases, history, mechanism, technique."},
    {"name": "conditions", "description": "What is treated: synonyms, body region, codes."},
    {"name": "injectates", "description": "What is injected: components and concentrations."},
    {"name": "side-effects", "description": "Adverse effects and how often sources report them."},
    {"name": "outcomes", "description": "Reported results, each with evidence level and source."},
    {"name": "sources", "description": "Articles, reviews, registries and pages cited."},
    {"name": "curation", "description": "For key holders: the audit trail and the export."},
    {"name": "meta", "description": "Dataset version, counts, licence and disclaimer."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def operation_id(route: APIRoute) -> str:
    """Stable operationIds: the handler's name (list_therapies, read_condition_therapies ...)."""
    return route.name


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    openapi_examples: bool = True,
) -> KnowledgeBaseAPI:
    settings = settings or get_settings()
    replicas = None
    if engine is None:
        engine = server_engine(settings)
        # Only beside the server's own engine: one handed in (tests, the OpenAPI examples'
        # in-memory database) stands alone.
        replicas = server_replicas(settings, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The access log's writer runs while the app serves; at shutdown (SIGTERM: after the
        # requests in flight) it writes every line still queued before the process ends.
        access_log = app.state.access_log
        if access_log is not None:
            access_log.start()
        if replicas is not None:
            await anyio.to_thread.run_sync(replicas.start)
        rate_limiter = app.state.rate_limiter
        if isinstance(rate_limiter, SharedRateLimiter):
            rate_limiter.start()
        yield
        if access_log is not None:
            await anyio.to_thread.run_sync(access_log.stop)
        if isinstance(rate_limiter, SharedRateLimiter):
            await anyio.to_thread.run_sync(rate_limiter.stop)
        if replicas is not None:
            await anyio.to_thread.run_sync(replicas.stop)
        engine.dispose()

    app = KnowledgeBaseAPI(
        docs_url=None,
        redoc_url=None,
        title="Treatment knowledge base",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        license_info={"name": "MIT", "identifier": "MIT"},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.replicas = replicas
    app.state.dataset_version = DatasetVersion(
        partial(read_version, engine), ttl=settings.version_ttl
    )
    install_error_handlers(app)
    install_stack(app, settings)
    for router in routers:
        app.include_router(router)
    install_docs(app)
    if openapi_examples:
        install_openapi(
            app,
            lambda example_engine: create_app(
                settings, engine=example_engine, openapi_examples=False
            ),
            settings.seed_file,
        )
    install_route_index(app.router)
    return app


app = create_app()
# What is alive now (modules, routes, models, schemas) lives as long as the process: moving it
# out of the garbage collector's generations means a full collection scans only what requests
# allocate, which under load makes uncached reads cheaper (Python's docs suggest freeze() for
# exactly this long-lived state; docs/decisions/0007-gc-freeze-at-start.md).
gc.collect()
gc.freeze()
