"""/v1/outcomes: reported results, each with its evidence level and source."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection, Select
from sqlmodel import select

from app import json_reads
from app.auth import EditorDep
from app.db import SessionDep, run_read
from app.errors import problem_responses
from app.facets import OUTCOME_FACETS_DESCRIPTION, OutcomeFacet, outcome_facets
from app.json_reads import (
    CONDITIONS,
    OUTCOMES,
    SOURCES,
    THERAPIES,
    Prepared,
    bindparam,
    page_of,
)
from app.models import (
    EVIDENCE_RANK,
    EvidenceLevel,
    Outcome,
    OutcomeCreate,
    OutcomeDetail,
    OutcomeListPage,
)
from app.pagination import PageParams, page_response
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
async def list_outcomes(
    request: Request,
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
) -> Response:
    """List outcomes, by therapy, condition, source or evidence level; strongest first."""
    filters = {
        "therapy": therapy,
        "condition": condition,
        "source": source,
        "max_rank": None if min_evidence is None else EVIDENCE_RANK[min_evidence],
    } | {f"level_{n}": level.value for n, level in enumerate(evidence_level or [])}
    values = {name: value for name, value in filters.items() if value is not None}
    return await run_read(request, outcomes_page, request, page, values, sort, facets)


def outcomes_page(
    connection: Connection,
    request: Request,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
    facets: list[OutcomeFacet] | None,
) -> Response:
    """The page of outcomes matching `filters` (the bound values of `outcome_statements`)."""
    query, statement = outcome_statements(frozenset(filters), sort)
    found = statement.first(connection, **filters, limit=page.limit, offset=page.offset)
    assert found is not None
    ids: Any = query.params(**filters) if facets else []
    return page_response(
        request,
        found.items,
        total=found.total,
        params=page,
        facets=outcome_facets(connection, ids, facets),
    )


@functools.lru_cache(maxsize=256)
def outcome_statements(filters: frozenset[str], sort: str) -> tuple[Select[Any], Prepared]:
    """For one combination of filters and a sort: the matching outcome ids, and one statement
    giving the page's items as JSON and the count. Values are bound at execution (parameters
    named as the keys)."""
    outcomes, therapies, conditions, sources = OUTCOMES, THERAPIES, CONDITIONS, SOURCES
    query = select(outcomes.c.id)  # joins only to filter: every outcome has its therapy, source
    for name, table, key in (
        ("therapy", therapies, outcomes.c.therapy_id),
        ("condition", conditions, outcomes.c.condition_id),
        ("source", sources, outcomes.c.source_id),
    ):
        if name in filters:
            query = query.join(table, key == table.c.id).where(table.c.slug == bindparam(name))
    levels = sorted(name for name in filters if name.startswith("level_"))
    if levels:
        query = query.where(outcomes.c.evidence_level.in_([bindparam(n) for n in levels]))
    if "max_rank" in filters:
        query = query.where(outcomes.c.evidence_rank <= bindparam("max_rank"))
    column = {
        "evidence": outcomes.c.evidence_rank,
        "slug": outcomes.c.slug,
        "sample_size": outcomes.c.sample_size,
    }[sort.removeprefix("-")]
    order = [column.desc() if sort.startswith("-") else column.asc(), outcomes.c.slug]
    item, rows = json_reads.outcome_item(), json_reads.outcomes_query()
    return query, Prepared(page_of(item, rows, outcomes.c.id, query, *order))


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
