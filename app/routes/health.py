"""/healthz (the process answers) and /readyz (it can serve the data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.errors import problem_response, problem_responses
from app.http.params import StrictQueryRoute
from app.models import DatasetState
from app.store.engine import ping, schema_is_current

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
    engine = request.app.state.engine
    try:
        ping(engine)
        if not schema_is_current(engine):
            return problem_response(503, "The database schema is not current; run `kb seed`.")
        with Session(engine) as session:
            state = session.get(DatasetState, 1)
    except SQLAlchemyError:
        return problem_response(503, "The database is not reachable.")
    if state is None or not state.seeded:
        return problem_response(503, "The knowledge base is not loaded; run `kb seed`.")
    return Health(status="ready")
