"""Every router of the API, in the order the docs list them."""

from app.routes import (
    audit,
    body_regions,
    changes,
    conditions,
    export,
    health,
    injectates,
    links,
    meta,
    outcomes,
    search,
    side_effects,
    sources,
    therapies,
)

routers = [
    search.router,
    therapies.router,
    links.indications,
    links.injectate_uses,
    links.side_effect_reports,
    links.facts,
    conditions.router,
    body_regions.router,
    injectates.router,
    side_effects.router,
    outcomes.router,
    sources.router,
    audit.router,
    export.router,
    meta.router,
    changes.router,
    health.router,
]
