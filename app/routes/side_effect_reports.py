"""/v1/therapies/{slug}/side-effect-reports: how often a side effect occurs, per source.

A sub-resource of its therapy, identified by its integer `id` (also shown on the therapy's
detail). Reads are public; writes need an editor key and, to change or delete, `If-Match`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import SideEffectReport, SideEffectReportCreate, SideEffectReportPublic
from app.params import StrictQueryRoute
from app.queries import side_effect_reports_where
from app.writes import (
    CHANGE_ERRORS,
    LINK_CREATE_ERRORS,
    MAX_ID,
    SIDE_EFFECT_REPORT,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    find_link,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(
    prefix="/v1/therapies/{slug}/side-effect-reports",
    tags=["therapies"],
    route_class=StrictQueryRoute,
)

LinkId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The side-effect report's id, as the therapy lists it.")
]


@router.get("/{id}", response_model=SideEffectReportPublic, responses=problem_responses(404, 422))
def read_side_effect_report(
    slug: str, id: LinkId, session: SessionDep, response: Response
) -> SideEffectReportPublic:
    """One side-effect report of a therapy, with its ETag."""
    _, link = find_link(session, SIDE_EFFECT_REPORT, slug, id)
    response.headers["ETag"] = etag_of(SIDE_EFFECT_REPORT, link)
    return side_effect_reports_where(session, SideEffectReport.id == link.id)[0]


@router.post(
    "", status_code=201, response_model=SideEffectReportPublic, responses=LINK_CREATE_ERRORS
)
def create_side_effect_report(
    request: Request,
    response: Response,
    slug: str,
    body: SideEffectReportCreate,
    session: SessionDep,
    key: EditorDep,
) -> SideEffectReportPublic:
    """Add a side-effect report to a therapy."""
    written = create_record(session, SIDE_EFFECT_REPORT, body, actor=key, therapy_slug=slug)
    link_id = int(written.record)
    location = request.app.url_path_for("read_side_effect_report", slug=slug, id=link_id)
    publish(request, written, response, location=location)
    return read_side_effect_report(slug, link_id, session, response)


@router.patch(
    "/{id}",
    response_model=SideEffectReportPublic,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(SideEffectReportCreate),
)
def update_side_effect_report(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> SideEffectReportPublic:
    """Change some fields of a side-effect report (JSON merge patch; needs If-Match)."""
    written = update_record(
        session,
        SIDE_EFFECT_REPORT,
        id,
        patch=patch,
        if_match=if_match,
        actor=key,
        therapy_slug=slug,
    )
    publish(request, written, response)
    return read_side_effect_report(slug, id, session, response)


@router.put("/{id}", response_model=SideEffectReportPublic, responses=CHANGE_ERRORS)
def replace_side_effect_report(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    body: SideEffectReportCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> SideEffectReportPublic:
    """Replace a side-effect report with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session,
        SIDE_EFFECT_REPORT,
        id,
        replacement=body,
        if_match=if_match,
        actor=key,
        therapy_slug=slug,
    )
    publish(request, written, response)
    return read_side_effect_report(slug, id, session, response)


@router.delete("/{id}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_side_effect_report(
    request: Request,
    slug: str,
    id: LinkId,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> None:
    """Remove a side-effect report from a therapy (needs If-Match)."""
    written = delete_record(
        session, SIDE_EFFECT_REPORT, id, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written)
