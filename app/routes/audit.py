"""/v1/audit: every write, newest first: who, when, what, and the record before and after."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime

from app.errors import problem_responses
from app.http.pagination import make_page
from app.http.params import PageDep, StrictQueryRoute
from app.models import AuditAction, AuditEntryPage, RecordType
from app.reads.audit import audit_page
from app.store.engine import SessionDep
from app.writes.keys import EditorDep

router = APIRouter(prefix="/v1/audit", tags=["curation"], route_class=StrictQueryRoute)


@router.get("", response_model=AuditEntryPage, responses=problem_responses(401, 403, 422))
def list_audit_entries(
    request: Request,
    response: Response,
    session: SessionDep,
    key: EditorDep,
    page: PageDep,
    record_type: Annotated[
        RecordType | None, Query(description="Only writes to records of this type.")
    ] = None,
    record: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00]*$",  # no NUL: the request guard refuses it before any route
            description="Only writes to this record: a slug, or a link's id (with record_type).",
        ),
    ] = None,
    key_name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=80,
            pattern=r"^[^\x00]*$",
            description="Only writes by this key.",
        ),
    ] = None,
    action: Annotated[AuditAction | None, Query(description="Only this kind of write.")] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(description="Only writes at or after this time (ISO 8601 with a zone)."),
    ] = None,
    until: Annotated[
        AwareDatetime | None, Query(description="Only writes before this time (ISO 8601).")
    ] = None,
) -> dict[str, Any]:
    """List the audit trail (editors and admins), newest first, by record, key, action, time."""
    response.headers["Cache-Control"] = "no-store"
    rows, total = audit_page(
        session,
        record_type=record_type,
        record=record,
        key_name=key_name,
        action=action,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return make_page(request, rows, total=total, params=page)
