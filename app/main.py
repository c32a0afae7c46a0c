"""The app factory: lifespan, middleware, routers and error handlers — nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from sqlalchemy import Engine

from app.config import Settings, get_settings
from app.db import make_engine
from app.errors import install_error_handlers
from app.openapi_examples import install_openapi_examples
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
    {"name": "therapies", "description": "Treatments: aliases, history, mechanism, technique."},
    {"name": "conditions", "description": "What is treated: synonyms, body region, codes."},
    {"name": "injectates", "description": "What is injected: components and concentrations."},
    {"name": "side-effects", "description": "Adverse effects and how often sources report them."},
    {"name": "outcomes", "description": "Reported results, each with evidence level and source."},
    {"name": "sources", "description": "Articles, reviews, registries and pages cited."},
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
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url, pool_size=settings.db_pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
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
    install_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "HEAD", "OPTIONS"],
        allow_credentials=False,
        max_age=600,
    )
    for router in routers:
        app.include_router(router)
    if openapi_examples:
        install_openapi_examples(
            app,
            lambda example_engine: create_app(
                settings, engine=example_engine, openapi_examples=False
            ),
            settings.seed_file,
        )
    return app


app = create_app()
