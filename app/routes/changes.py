"""/v1/changes and /v1/dataset: for a front end that keeps its own copy of the data.

`/v1/changes?since=VERSION` says what changed after the version it holds (from the audit
trail: the record, the action, the version and the time, never the key that wrote);
`/v1/dataset` is the whole dataset as one seed document, to start from or start again. Both
are public, cached per dataset version and tagged like every read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.errors import problem_responses
from app.http.pagination import make_page
from app.http.params import PageDep, StrictQueryRoute
from app.http.write_protocol import MAX_ID
from app.models import ChangePage, SeedDocument
from app.reads.changes import change_page
from app.reads.meta import dataset_state
from app.store.engine import SessionDep, begin_snapshot
from app.writes.seed import export_bytes

router = APIRouter(prefix="/v1", tags=["meta"], route_class=StrictQueryRoute)


@router.get("/changes", response_model=ChangePage, responses=problem_responses(422))
def list_changes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    since: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_ID,  # the version is an INTEGER column: beyond it, PostgreSQL refuses
            description="The dataset version you hold (`dataset_version` of /v1/meta, or of "
            "this list's last page): only changes after it, oldest first. 0: every change.",
        ),
    ] = 0,
) -> dict[str, Any]:
    """List what changed after a dataset version: record, action, version and time."""
    begin_snapshot(session)
    rows, total = change_page(session, since=since, limit=page.limit, offset=page.offset)
    state = dataset_state(session)
    body = make_page(request, rows, total=total, params=page)
    return body | {"dataset_version": state.version if state else 0}


@router.get(
    "/dataset",
    response_model=SeedDocument,
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SeedDocument"}}
            }
        },
        **problem_responses(422),
    },
)
def read_dataset(session: SessionDep) -> Response:
    """The whole dataset as one seed document (what `kb seed` and `kb import` take)."""
    begin_snapshot(session)
    return Response(export_bytes(session), media_type="application/json")
