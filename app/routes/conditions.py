"""/v1/conditions: what is treated, and the clinician's question: which therapies, how well."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.fields import cut, model_tree
from app.http.pagination import page_body_response
from app.http.params import IsoDate, PageDep, StrictQueryRoute, search_text, slug_filter
from app.http.prebuilt import PrebuiltJSON
from app.models import (
    EVIDENCE_RANK,
    ConditionCreate,
    ConditionDetail,
    ConditionListPage,
    ConditionTherapiesBriefPage,
    ConditionTherapiesPage,
    ConditionTherapyBrief,
    EvidenceLevel,
)
from app.reads.conditions import (
    condition_detail,
    condition_page,
    condition_search_page,
    condition_therapy_page,
)
from app.reads.facets import CONDITION_FACETS_DESCRIPTION, ConditionFacet
from app.routes.record_routes import Docs, RecordRoutes, add_detail_route, add_write_routes
from app.search.query import code_range
from app.store.engine import run_read
from app.writes.service import CONDITION

router = APIRouter(prefix="/v1/conditions", tags=["conditions"], route_class=StrictQueryRoute)

ConditionSort = TypeAliasType(
    "ConditionSort",
    Literal[
        "name",
        "-name",
        "slug",
        "-slug",
        "body_region",
        "-body_region",
        "reviewed_on",
        "-reviewed_on",
    ],
)

ConditionTherapiesView = TypeAliasType("ConditionTherapiesView", Literal["full", "summary"])
SUMMARY = model_tree(ConditionTherapyBrief)

ROUTES = RecordRoutes(
    kind=CONDITION,
    name="condition",
    body=ConditionCreate,
    detail=ConditionDetail,
    read=condition_detail,
    docs=Docs(
        read="One condition with the therapies used for it, their outcomes and the sources.",
        create="Create a condition.",
        update="Change some fields of a condition (JSON merge patch; needs If-Match).",
        replace="Replace a condition with the body, as a seed entry (needs If-Match).",
        delete="Delete a condition (409 while indications, protocols or outcomes cite it); "
        "needs If-Match.",
    ),
    page="/conditions",
)


@router.get(
    "",
    response_model=ConditionListPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(422),
)
async def list_conditions(
    request: Request,
    page: PageDep,
    q: Annotated[
        str | None,
        search_text(
            "Find conditions by name, synonym, code or code title, in any word order and word "
            "form, best match first; each item then says what matched (`match`, with the words "
            "it matched and did not). When no condition matches every word, those matching "
            "some are listed as partial matches, or as `related` when they are other "
            "conditions; `did_you_mean` offers spelling corrections of `q`, and `message` says "
            "which it is. Empty (`q=`) means no text filter.",
            required=False,
        ),
    ] = None,
    code: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=20,
            pattern=r"^[0-9A-Za-z.]+$",
            description="Only conditions with this code or a code below it: `M77.1` matches "
            "M77.1 and M77.10-M77.12, `M77` every M77 code. Case does not matter.",
        ),
    ] = None,
    body_region: Annotated[str | None, slug_filter("Only conditions of this body region.")] = None,
    category: Annotated[str | None, slug_filter("Only conditions of this category.")] = None,
    therapy: Annotated[str | None, slug_filter("Only conditions this therapy is used for.")] = None,
    reviewed_before: Annotated[
        IsoDate | None,
        Query(
            description="Only conditions last checked against their sources before this date "
            "(or never): what is due for review."
        ),
    ] = None,
    sort: Annotated[
        ConditionSort | None,
        Query(description="Default `name`; with `q`, best match first unless a sort is given."),
    ] = None,
    facets: Annotated[
        list[ConditionFacet] | None, Query(description=CONDITION_FACETS_DESCRIPTION)
    ] = None,
) -> Response:
    """List conditions: find them by name, synonym or code, filter them, count them by facet."""
    values = {
        "body_region": body_region,
        "category": category,
        "therapy": therapy,
        "reviewed_before": None if reviewed_before is None else reviewed_before.isoformat(),
    }
    filters: dict[str, Any] = {name: value for name, value in values.items() if value is not None}
    if code is not None:
        filters |= code_range(code)
    if q is None or not q.strip():
        found = await run_read(
            request, condition_page, filters, sort or "name", facets, page.limit, page.offset
        )
    else:
        found = await run_read(
            request,
            condition_search_page,
            q,
            filters,
            sort,
            facets,
            page.limit,
            page.offset,
            # ranking in Python: off the event loop
            # (docs/decisions/0009-reads-on-the-loop-searches-in-the-threadpool.md)
            threadpool=True,
        )
    return page_body_response(request, found, page)


add_detail_route(router, ROUTES)


@router.get(
    "/{slug}/therapies",
    response_model=ConditionTherapiesPage | ConditionTherapiesBriefPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(404, 422),
)
async def read_condition_therapies(
    request: Request,
    slug: str,
    page: PageDep,
    min_evidence: Annotated[
        EvidenceLevel | None,
        Query(description="Only therapies whose best evidence is at least this strong."),
    ] = None,
    injectate: Annotated[str | None, slug_filter("Only therapies that inject this.")] = None,
    view: Annotated[
        ConditionTherapiesView,
        Query(
            description="`summary`: each therapy in brief (ConditionTherapiesBriefPage), the "
            "condition and the therapy said once instead of inside every nested item, without "
            "quotes and notes; a fraction of the full answer's size."
        ),
    ] = "full",
) -> Response:
    """For a condition: every therapy, its evidence for the condition apart from general claims."""
    filters: dict[str, Any] = {"injectate": injectate}
    if min_evidence is not None:
        filters["max_rank"] = EVIDENCE_RANK[min_evidence]
    values = {name: value for name, value in filters.items() if value is not None}
    found = await run_read(request, condition_therapy_page, slug, values, page.limit, page.offset)
    response = page_body_response(request, found, page)
    return cut(response, SUMMARY, page=True) if view == "summary" else response


add_write_routes(router, ROUTES)
