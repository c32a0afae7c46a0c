"""/v1/conditions: what is treated, and the clinician's question: which therapies, how well."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import select

from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    Condition,
    ConditionDetail,
    ConditionPublic,
    ConditionSource,
    ConditionSummary,
    ConditionTherapy,
    EvidenceLevel,
    Indication,
    Outcome,
    Therapy,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import (
    condition_therapies,
    get_by_slug,
    indications_where,
    outcomes_where,
    row_fields,
    sources_of,
)

router = APIRouter(prefix="/v1/conditions", tags=["conditions"], route_class=StrictQueryRoute)

ConditionSort = Literal["name", "-name", "slug", "-slug", "body_region", "-body_region"]


class ConditionTherapiesPage(Page[ConditionTherapy]):
    condition: ConditionSummary


@router.get("", response_model=Page[ConditionPublic], responses=problem_responses(422))
def list_conditions(
    request: Request,
    session: SessionDep,
    page: PageDep,
    body_region: Annotated[str | None, slug_filter("Only conditions of this body region.")] = None,
    category: Annotated[str | None, slug_filter("Only conditions of this category.")] = None,
    therapy: Annotated[str | None, slug_filter("Only conditions this therapy is used for.")] = None,
    sort: ConditionSort = "name",
) -> dict[str, Any]:
    """List conditions, optionally by body region, category or therapy."""
    statement = select(Condition)
    if body_region is not None:
        statement = statement.where(Condition.body_region == body_region)
    if category is not None:
        statement = statement.where(Condition.category == category)
    if therapy is not None:
        statement = statement.where(
            Condition.id.in_(  # type: ignore[union-attr]
                select(Indication.condition_id)
                .join(Therapy, Indication.therapy_id == Therapy.id)  # type: ignore[arg-type]
                .where(Therapy.slug == therapy)
            )
        )
    rows, total = fetch_page(session, statement, order_by=order_by(Condition, sort), params=page)
    return make_page(request, rows, total=total, params=page)


@router.get("/{slug}", response_model=ConditionDetail, responses=problem_responses(404, 422))
def read_condition(slug: str, session: SessionDep) -> ConditionDetail:
    """One condition with the therapies used for it, their outcomes and the sources."""
    condition = get_by_slug(session, Condition, slug, label="condition")
    indications = indications_where(session, Indication.condition_id == condition.id)
    therapies = {item.therapy.slug: item.therapy for item in indications}
    return ConditionDetail.model_validate(
        row_fields(condition, ConditionDetail)
        | {
            "therapies": sorted(therapies.values(), key=lambda therapy: therapy.name),
            "indications": indications,
            "outcomes": outcomes_where(session, Outcome.condition_id == condition.id),
            "sources": sources_of(
                session, ConditionSource, ConditionSource.condition_id, condition.id
            ),
        }
    )


@router.get(
    "/{slug}/therapies",
    response_model=ConditionTherapiesPage,
    responses=problem_responses(404, 422),
)
def read_condition_therapies(
    request: Request,
    slug: str,
    session: SessionDep,
    page: PageDep,
    min_evidence: Annotated[
        EvidenceLevel | None,
        Query(description="Only therapies whose best evidence is at least this strong."),
    ] = None,
    injectate: Annotated[str | None, slug_filter("Only therapies that inject this.")] = None,
) -> dict[str, Any]:
    """For a condition: every therapy with its injectates, outcomes and side effects."""
    condition = get_by_slug(session, Condition, slug, label="condition")
    results = condition_therapies(
        session, condition, min_evidence=min_evidence, injectate=injectate
    )
    items = results[page.offset : page.offset + page.limit]
    body = make_page(request, items, total=len(results), params=page)
    body["condition"] = ConditionSummary.model_validate(condition, from_attributes=True)
    return body
