"""/v1/outcomes: reported results, each with its evidence level and source."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.pagination import page_body_response
from app.http.params import IsoDate, PageDep, StrictQueryRoute, slug_filter
from app.http.prebuilt import PrebuiltJSON
from app.models import EVIDENCE_RANK, EvidenceLevel, OutcomeCreate, OutcomeDetail, OutcomeListPage
from app.reads.facets import OUTCOME_FACETS_DESCRIPTION, OutcomeFacet
from app.reads.outcomes import outcome_detail, outcome_page
from app.routes.record_routes import Docs, RecordRoutes, add_detail_route, add_write_routes
from app.store.engine import run_read
from app.writes.service import OUTCOME

router = APIRouter(prefix="/v1/outcomes", tags=["outcomes"], route_class=StrictQueryRoute)

OutcomeSort = TypeAliasType(
    "OutcomeSort",
    Literal[
        "evidence",
        "-evidence",
        "slug",
        "-slug",
        "sample_size",
        "-sample_size",
        "reviewed_on",
        "-reviewed_on",
    ],
)


@router.get(
    "",
    response_model=OutcomeListPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(422),
)
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
    reviewed_before: Annotated[
        IsoDate | None,
        Query(
            description="Only outcomes last checked against their source before this date "
            "(or never): what is due for review."
        ),
    ] = None,
    sort: Annotated[
        OutcomeSort,
        Query(
            description="`evidence` puts the strongest evidence first; `reviewed_on` the "
            "longest unchecked first."
        ),
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
        "reviewed_before": None if reviewed_before is None else reviewed_before.isoformat(),
    } | {f"level_{n}": level.value for n, level in enumerate(evidence_level or [])}
    values = {name: value for name, value in filters.items() if value is not None}
    found = await run_read(request, outcome_page, values, sort, facets, page.limit, page.offset)
    return page_body_response(request, found, page)


ROUTES = RecordRoutes(
    kind=OUTCOME,
    name="outcome",
    body=OutcomeCreate,
    detail=OutcomeDetail,
    read=outcome_detail,
    docs=Docs(
        read="One outcome with its therapy, condition and source.",
        create="Create an outcome of a therapy, as one source reports it.",
        update="Change some fields of an outcome (JSON merge patch; needs If-Match).",
        replace="Replace an outcome with the body, as a seed entry (needs If-Match).",
        delete="Delete an outcome; needs If-Match.",
    ),
)
add_detail_route(router, ROUTES)
add_write_routes(router, ROUTES)
