"""/v1/side-effects: adverse effects, and how often each source reports them per therapy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import select

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    SideEffect,
    SideEffectCreate,
    SideEffectDetail,
    SideEffectPublic,
    SideEffectReport,
    SideEffectSource,
    Therapy,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import get_by_slug, row_fields, side_effect_reports_where, sources_of
from app.writes import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    SIDE_EFFECT,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/side-effects", tags=["side-effects"], route_class=StrictQueryRoute)

SideEffectSort = Literal["name", "-name", "slug", "-slug"]


@router.get("", response_model=Page[SideEffectPublic], responses=problem_responses(422))
def list_side_effects(
    request: Request,
    session: SessionDep,
    page: PageDep,
    therapy: Annotated[str | None, slug_filter("Only side effects reported for this.")] = None,
    serious: Annotated[
        bool | None, Query(description="Only serious (or non-serious) ones.")
    ] = None,
    sort: SideEffectSort = "name",
) -> dict[str, Any]:
    """List side effects, optionally those reported for a therapy."""
    statement = select(SideEffect)
    if therapy is not None:
        statement = statement.where(
            SideEffect.id.in_(  # type: ignore[union-attr]
                select(SideEffectReport.side_effect_id)
                .join(Therapy, SideEffectReport.therapy_id == Therapy.id)  # type: ignore[arg-type]
                .where(Therapy.slug == therapy)
            )
        )
    if serious is not None:
        statement = statement.where(SideEffect.serious == serious)
    rows, total = fetch_page(session, statement, order_by=order_by(SideEffect, sort), params=page)
    return make_page(request, rows, total=total, params=page)


@router.get("/{slug}", response_model=SideEffectDetail, responses=problem_responses(404, 422))
def read_side_effect(slug: str, session: SessionDep, response: Response) -> SideEffectDetail:
    """One side effect with every report of it: therapy, frequency and source."""
    side_effect = get_by_slug(session, SideEffect, slug, label="side effect")
    response.headers["ETag"] = etag_of(SIDE_EFFECT, side_effect)
    reports = side_effect_reports_where(session, SideEffectReport.side_effect_id == side_effect.id)
    therapies = {report.therapy.slug: report.therapy for report in reports}
    return SideEffectDetail.model_validate(
        row_fields(side_effect, SideEffectDetail)
        | {
            "therapies": sorted(therapies.values(), key=lambda therapy: therapy.name),
            "reports": reports,
            "sources": sources_of(
                session, SideEffectSource, SideEffectSource.side_effect_id, side_effect.id
            ),
        }
    )


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=SideEffectDetail, responses=CREATE_ERRORS)
def create_side_effect(
    request: Request,
    response: Response,
    body: SideEffectCreate,
    session: SessionDep,
    key: EditorDep,
) -> SideEffectDetail:
    """Create a side effect."""
    written = create_record(session, SIDE_EFFECT, body, actor=key)
    location = request.app.url_path_for("read_side_effect", slug=written.record)
    publish(request, written, response, location=location)
    return read_side_effect(written.record, session, response)


@router.patch(
    "/{slug}",
    response_model=SideEffectDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(SideEffectCreate),
)
def update_side_effect(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> SideEffectDetail:
    """Change some fields of a side effect (JSON merge patch; needs If-Match)."""
    written = update_record(session, SIDE_EFFECT, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_side_effect(written.record, session, response)


@router.put("/{slug}", response_model=SideEffectDetail, responses=CHANGE_ERRORS)
def replace_side_effect(
    request: Request,
    response: Response,
    slug: str,
    body: SideEffectCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> SideEffectDetail:
    """Replace a side effect with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session, SIDE_EFFECT, slug, replacement=body, if_match=if_match, actor=key
    )
    publish(request, written, response)
    return read_side_effect(written.record, session, response)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_side_effect(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete a side effect (409 while reports of it cite it); needs If-Match."""
    publish(request, delete_record(session, SIDE_EFFECT, slug, if_match=if_match, actor=key))
