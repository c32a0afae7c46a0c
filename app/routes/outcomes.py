"""/v1/outcomes: reported results, each with its evidence level and source."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import col

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.facets import OUTCOME_FACETS_DESCRIPTION, OutcomeFacet, outcome_facets
from app.models import (
    EVIDENCE_RANK,
    Condition,
    EvidenceLevel,
    Outcome,
    OutcomeCreate,
    OutcomeDetail,
    OutcomeListPage,
    Source,
    Therapy,
)
from app.pagination import fetch_page, make_page
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import get_by_slug, outcome_details, outcomes_statement
from app.writes import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    OUTCOME,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"], route_class=StrictQueryRoute)

OutcomeSort = Literal["evidence", "-evidence", "slug", "-slug", "sample_size", "-sample_size"]


@router.get("", response_model=OutcomeListPage, responses=problem_responses(422))
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
    facets: Annotated[
        list[OutcomeFacet] | None, Query(description=OUTCOME_FACETS_DESCRIPTION)
    ] = None,
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
    body = make_page(request, outcome_details(rows), total=total, params=page)
    ids = statement.with_only_columns(col(Outcome.id), maintain_column_froms=True)
    body["facets"] = outcome_facets(session, ids, facets)
    return body


@router.get("/{slug}", response_model=OutcomeDetail, responses=problem_responses(404, 422))
def read_outcome(slug: str, session: SessionDep, response: Response) -> OutcomeDetail:
    """One outcome with its therapy, condition and source."""
    outcome = get_by_slug(session, Outcome, slug, label="outcome")
    response.headers["ETag"] = etag_of(OUTCOME, outcome)
    rows = session.exec(outcomes_statement().where(Outcome.slug == slug)).all()
    return outcome_details(rows)[0]


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=OutcomeDetail, responses=CREATE_ERRORS)
def create_outcome(
    request: Request, response: Response, body: OutcomeCreate, session: SessionDep, key: EditorDep
) -> OutcomeDetail:
    """Create an outcome of a therapy, as one source reports it."""
    written = create_record(session, OUTCOME, body, actor=key)
    location = request.app.url_path_for("read_outcome", slug=written.record)
    publish(request, written, response, location=location)
    return read_outcome(written.record, session, response)


@router.patch(
    "/{slug}",
    response_model=OutcomeDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(OutcomeCreate),
)
def update_outcome(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> OutcomeDetail:
    """Change some fields of an outcome (JSON merge patch; needs If-Match)."""
    written = update_record(session, OUTCOME, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_outcome(written.record, session, response)


@router.put("/{slug}", response_model=OutcomeDetail, responses=CHANGE_ERRORS)
def replace_outcome(
    request: Request,
    response: Response,
    slug: str,
    body: OutcomeCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> OutcomeDetail:
    """Replace an outcome with the body, as a seed entry (needs If-Match)."""
    written = update_record(session, OUTCOME, slug, replacement=body, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_outcome(written.record, session, response)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_outcome(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete an outcome; needs If-Match."""
    publish(request, delete_record(session, OUTCOME, slug, if_match=if_match, actor=key))
