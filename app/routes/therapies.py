"""/v1/therapies: the treatments, with what they treat, inject, achieve and risk."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from sqlmodel import select

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    Condition,
    Fact,
    Indication,
    Injectate,
    InjectateUse,
    Outcome,
    SideEffect,
    SideEffectReport,
    Therapy,
    TherapyDetail,
    TherapyPublic,
    TherapySource,
    TherapyWrite,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import (
    facts_where,
    get_by_slug,
    indications_where,
    injectate_uses_where,
    outcomes_where,
    row_fields,
    side_effect_reports_where,
    sources_of,
)
from app.writes import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    THERAPY,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/therapies", tags=["therapies"], route_class=StrictQueryRoute)

TherapySort = Literal["name", "-name", "slug", "-slug", "updated_at", "-updated_at"]


@router.get("", response_model=Page[TherapyPublic], responses=problem_responses(422))
def list_therapies(
    request: Request,
    session: SessionDep,
    page: PageDep,
    condition: Annotated[str | None, slug_filter("Only therapies used for this condition.")] = None,
    injectate: Annotated[str | None, slug_filter("Only therapies that inject this.")] = None,
    side_effect: Annotated[str | None, slug_filter("Only therapies with this side effect.")] = None,
    sort: TherapySort = "name",
) -> dict[str, Any]:
    """List therapies, optionally those for a condition or using an injectate."""
    statement = select(Therapy)
    if condition is not None:
        statement = statement.where(
            Therapy.id.in_(  # type: ignore[union-attr]
                select(Indication.therapy_id)
                .join(Condition, Indication.condition_id == Condition.id)  # type: ignore[arg-type]
                .where(Condition.slug == condition)
            )
        )
    if injectate is not None:
        statement = statement.where(
            Therapy.id.in_(  # type: ignore[union-attr]
                select(InjectateUse.therapy_id)
                .join(Injectate, InjectateUse.injectate_id == Injectate.id)  # type: ignore[arg-type]
                .where(Injectate.slug == injectate)
            )
        )
    if side_effect is not None:
        statement = statement.where(
            Therapy.id.in_(  # type: ignore[union-attr]
                select(SideEffectReport.therapy_id)
                .join(SideEffect, SideEffectReport.side_effect_id == SideEffect.id)  # type: ignore[arg-type]
                .where(SideEffect.slug == side_effect)
            )
        )
    rows, total = fetch_page(session, statement, order_by=order_by(Therapy, sort), params=page)
    return make_page(request, rows, total=total, params=page)


@router.get("/{slug}", response_model=TherapyDetail, responses=problem_responses(404, 422))
def read_therapy(slug: str, session: SessionDep, response: Response) -> TherapyDetail:
    """One therapy with its conditions, injectates, side effects, outcomes, facts and sources."""
    therapy = get_by_slug(session, Therapy, slug, label="therapy")
    response.headers["ETag"] = etag_of(THERAPY, therapy)
    return TherapyDetail.model_validate(
        row_fields(therapy, TherapyDetail)
        | {
            "indications": indications_where(session, Indication.therapy_id == therapy.id),
            "injectates": injectate_uses_where(session, InjectateUse.therapy_id == therapy.id),
            "side_effects": side_effect_reports_where(
                session, SideEffectReport.therapy_id == therapy.id
            ),
            "facts": facts_where(session, Fact.therapy_id == therapy.id),
            "outcomes": outcomes_where(session, Outcome.therapy_id == therapy.id),
            "sources": sources_of(session, TherapySource, TherapySource.therapy_id, therapy.id),
        }
    )


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=TherapyDetail, responses=CREATE_ERRORS)
def create_therapy(
    request: Request, response: Response, body: TherapyWrite, session: SessionDep, key: EditorDep
) -> TherapyDetail:
    """Create a therapy; add its links under it (indications, injectate uses ...)."""
    written = create_record(session, THERAPY, body, actor=key)
    location = request.app.url_path_for("read_therapy", slug=written.record)
    publish(request, written, response, location=location)
    return read_therapy(written.record, session, response)


@router.patch(
    "/{slug}",
    response_model=TherapyDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(TherapyWrite),
)
def update_therapy(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> TherapyDetail:
    """Change some fields of a therapy (JSON merge patch; needs If-Match)."""
    written = update_record(session, THERAPY, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_therapy(written.record, session, response)


@router.put("/{slug}", response_model=TherapyDetail, responses=CHANGE_ERRORS)
def replace_therapy(
    request: Request,
    response: Response,
    slug: str,
    body: TherapyWrite,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> TherapyDetail:
    """Replace a therapy with the body, as a seed entry (needs If-Match)."""
    written = update_record(session, THERAPY, slug, replacement=body, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_therapy(written.record, session, response)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_therapy(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete a therapy and its links (409 while outcomes cite it); needs If-Match."""
    publish(request, delete_record(session, THERAPY, slug, if_match=if_match, actor=key))
