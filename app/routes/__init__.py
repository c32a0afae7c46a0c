"""Every router of the API, in the order the docs list them."""

from app.routes import (
    conditions,
    health,
    injectates,
    meta,
    outcomes,
    side_effects,
    sources,
    therapies,
)

routers = [
    therapies.router,
    conditions.router,
    injectates.router,
    side_effects.router,
    outcomes.router,
    sources.router,
    meta.router,
    health.router,
]
