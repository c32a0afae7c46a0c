"""/v1/outcomes: reported results, each with its evidence level and source."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import col

from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    EVIDENCE_RANK,
    Condition,
    EvidenceLevel,
    Outcome,
    OutcomeDetail,
    Source,
    Therapy,
)
from app.pagination import Page, fetch_page, make_page
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import get_by_slug, outcome_details, outcomes_statement

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"], route_class=StrictQueryRoute)

OutcomeSort = Literal["evidence", "-evidence", "slug", "-slug", "sample_size", "-sample_size"]


@router.get("", response_model=Page[OutcomeDetail], responses=problem_responses(422))
def list_outcomes(
    request: Request,
    session: SessionDep,
    page: PageDep,
    therapy: Annotated[str | None, slug_filter("Only outcomes of this therapy.")] = None,
    condition: Annotated[str | None, slug_filter("Only outcomes for this condition.")] = None,
    source: Annotated[str | None, slug_filter("Only outcomes reported by this source.")] = None,
    evidence_level: Annotated[
        list[EvidenceLevel] | None,
        Query(description="Only these evidence levels (repeat the parameter for several)."),
    ] = None,
    min_evidence: Annotated[
        EvidenceLevel | None, Query(description="Only evidence at least this strong.")
    ] = None,
    sort: Annotated[
        OutcomeSort, Query(description="`evidence` puts the strongest evidence first.")
    ] = "evidence",
) -> dict[str, Any]:
    """List outcomes, by therapy, condition, source or evidence level; strongest first."""
    statement = outcomes_statement()
    if therapy is not None:
        statement = statement.where(Therapy.slug == therapy)
    if condition is not None:
        statement = statement.where(Condition.slug == condition)
    if source is not None:
        statement = statement.where(Source.slug == source)
    if evidence_level:
        statement = statement.where(Outcome.evidence_level.in_(evidence_level))  # type: ignore[attr-defined]
    if min_evidence is not None:
        statement = statement.where(Outcome.evidence_rank <= EVIDENCE_RANK[min_evidence])
    column = {
        "evidence": col(Outcome.evidence_rank),
        "slug": col(Outcome.slug),
        "sample_size": col(Outcome.sample_size),
    }[sort.removeprefix("-")]
    primary = column.desc() if sort.startswith("-") else column.asc()
    rows, total = fetch_page(session, statement, order_by=[primary, col(Outcome.slug)], params=page)
    return make_page(request, outcome_details(rows), total=total, params=page)


@router.get("/{slug}", response_model=OutcomeDetail, responses=problem_responses(404, 422))
def read_outcome(slug: str, session: SessionDep) -> OutcomeDetail:
    """One outcome with its therapy, condition and source."""
    get_by_slug(session, Outcome, slug, label="outcome")
    rows = session.exec(outcomes_statement().where(Outcome.slug == slug)).all()
    return outcome_details(rows)[0]
