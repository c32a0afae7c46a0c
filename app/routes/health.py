"""/healthz (the process answers) and /readyz (it can serve the data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from app.errors import problem_response, problem_responses
from app.http.params import StrictQueryRoute
from app.store.version import unready_reason

router = APIRouter(tags=["health"], route_class=StrictQueryRoute)


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health)
def read_health() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses=problem_responses(503))
def read_readiness(request: Request) -> Health | Response:
    """The database answers, its schema is current and the seed is loaded."""
    reason = unready_reason(request.app.state.engine)
    if reason is not None:
        return problem_response(503, reason)
    return Health(status="ready")
