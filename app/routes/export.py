"""/v1/export: the whole dataset as one seed document, for backups and `kb import`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.errors import problem_responses
from app.http.params import StrictQueryRoute
from app.models import SeedDocument
from app.store.engine import SessionDep, begin_snapshot
from app.writes.keys import EditorDep
from app.writes.seed import export_bytes

router = APIRouter(prefix="/v1", tags=["curation"], route_class=StrictQueryRoute)


@router.get(
    "/export",
    response_model=SeedDocument,
    response_class=Response,
    responses=problem_responses(401, 403, 422),
)
def read_export(session: SessionDep, key: EditorDep) -> Response:
    """The whole dataset in seed format (editors and admins); `kb import` takes it back."""
    begin_snapshot(session)
    return Response(
        export_bytes(session),
        media_type="application/json",
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": 'attachment; filename="kb-export.json"',
        },
    )
