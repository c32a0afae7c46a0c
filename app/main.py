"""The app factory: lifespan, middleware, routers and error handlers — nothing else."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config import Settings, get_settings
from app.dataset import read_version
from app.db import make_engine
from app.docs import install_docs
from app.errors import install_error_handlers
from app.http_cache import DatasetVersion, HttpCacheMiddleware
from app.openapi import install_openapi
from app.rate_limit import RateLimiter
from app.request_guard import RequestGuardMiddleware
from app.route_index import install_route_index
from app.routes import routers

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


EXPOSED_HEADERS = ["ETag", "Link", "Location", "Retry-After", "X-Request-ID"]


def common_headers(*, any_origin: bool) -> list[tuple[bytes, bytes]]:
    """Headers on every response. With any origin allowed, CORS needs no per-request answer:
    a public read API says `*` (never with credentials) even to requests without Origin, so a
    cached response serves every origin alike."""
    headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
    if any_origin:
        headers += [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode()),
        ]
    return headers


def operation_id(route: APIRoute) -> str:
    """Stable operationIds: the handler's name (list_therapies, read_condition_therapies ...)."""
    return route.name


class KnowledgeBaseAPI(FastAPI):
    """FastAPI with the request guard and the response cache in front of everything FastAPI
    does per request: a cache hit is answered before FastAPI's own layers (error pages,
    telemetry, body limit, router) run, which halves what a hit costs."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI itself, behind `front`."""
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    openapi_examples: bool = True,
) -> KnowledgeBaseAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        sqlite_mmap_bytes=settings.sqlite_mmap_bytes,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
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
    app.state.dataset_version = DatasetVersion(
        partial(read_version, engine), ttl=settings.version_ttl
    )
    install_error_handlers(app)
    any_origin = "*" in settings.cors_origins
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )
    cache = HttpCacheMiddleware(
        app.serve,
        version=app.state.dataset_version,
        max_age=settings.cache_max_age,
        max_bytes=settings.response_cache_bytes,
        vary_on_origin=not any_origin,
        extra_headers=common_headers(any_origin=any_origin),
    )
    app.front = RequestGuardMiddleware(
        cache,
        max_body_bytes=settings.max_body_bytes,
        rate_limiter=RateLimiter(
            per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
        )
        if settings.rate_limit_per_minute
        else None,
        stored_answer=cache.stored_answer,
    )
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
# allocate. Under load this took a sixth off an uncached read (Python's docs suggest freeze()
# for exactly this long-lived state).
gc.collect()
gc.freeze()
