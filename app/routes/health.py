"""/healthz (the process answers) and /readyz (it can serve the data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.errors import problem_response, problem_responses
from app.http.params import StrictQueryRoute
from app.store.version import readiness

router = APIRouter(tags=["health"], route_class=StrictQueryRoute)


class Health(BaseModel):
    status: str


class ReplicaStatus(BaseModel):
    name: str = Field(description="The replica's host, port and database (no credentials).")
    in_rotation: bool = Field(description="GETs may read from it now.")
    dataset_version: int | None = Field(
        description="The dataset version it had replayed when last checked; null: not known."
    )
    lag_seconds: float = Field(
        description="How long its version has been below the primary's; 0 when level."
    )
    problem: str | None = Field(description="Why it is out of the rotation; null when it is in.")


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    read_only: bool = Field(
        description="The database refuses writes now (a read-only file, mount or standby): "
        "reads are served, writes answer 503 `database-read-only`."
    )
    replicas: list[ReplicaStatus] = Field(
        default=[],
        description="Each read replica of DATABASE_READ_URLS (empty without them). One out of "
        "the rotation leaves the process ready: its reads go to the primary.",
    )


@router.get("/healthz", response_model=Health)
def read_health() -> Health:
    """The process is up."""
    return Health(status="ok")


READY_EXAMPLE = {
    "content": {"application/json": {"example": {"status": "ready", "read_only": False}}}
}
"""The examples' private database is not migrated, so it is never ready: the example is this."""


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={200: READY_EXAMPLE, **problem_responses(503)},
)
def read_readiness(request: Request) -> Readiness | Response:
    """The database answers, its schema is current and the seed is loaded; `read_only` says
    whether it takes writes, `replicas` which read replicas are in the rotation."""
    found = readiness(request.app.state.engine)
    if found.unready is not None:
        return problem_response(
            503,
            found.unready,
            problem_type=found.problem_type,
            instance=request.url.path,
            headers={"Retry-After": str(found.retry_after)},
        )
    replicas = request.app.state.replicas
    return Readiness(
        status="ready",
        read_only=found.read_only,
        replicas=[] if replicas is None else replicas.status(),
    )
