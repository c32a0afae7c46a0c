"""/v1/side-effects: adverse effects, and how often each source reports them per therapy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import select

from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    SideEffect,
    SideEffectDetail,
    SideEffectPublic,
    SideEffectReport,
    SideEffectSource,
    Therapy,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import get_by_slug, row_fields, side_effect_reports_where, sources_of

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
def read_side_effect(slug: str, session: SessionDep) -> SideEffectDetail:
    """One side effect with every report of it: therapy, frequency and source."""
    side_effect = get_by_slug(session, SideEffect, slug, label="side effect")
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
