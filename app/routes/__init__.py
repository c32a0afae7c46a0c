"""Every router of the API, in the order the docs list them."""

from app.routes import (
    audit,
    body_regions,
    conditions,
    export,
    facts,
    health,
    indications,
    injectate_uses,
    injectates,
    meta,
    outcomes,
    search,
    side_effect_reports,
    side_effects,
    sources,
    therapies,
)

routers = [
    search.router,
    therapies.router,
    indications.router,
    injectate_uses.router,
    side_effect_reports.router,
    facts.router,
    conditions.router,
    body_regions.router,
    injectates.router,
    side_effects.router,
    outcomes.router,
    sources.router,
    audit.router,
    export.router,
    meta.router,
    health.router,
]
