"""/v1/therapies: the treatments, with what they treat, inject, achieve and risk."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.pagination import page_body_response
from app.http.params import PageDep, StrictQueryRoute, slug_filter
from app.http.prebuilt import PrebuiltJSON
from app.models import TherapyDetail, TherapyListPage, TherapyWrite
from app.reads.therapies import therapy_detail, therapy_page
from app.routes.record_routes import Docs, RecordRoutes, add_detail_route, add_write_routes
from app.store.engine import run_read
from app.writes.service import THERAPY

router = APIRouter(prefix="/v1/therapies", tags=["therapies"], route_class=StrictQueryRoute)

TherapySort = TypeAliasType(
    "TherapySort", Literal["name", "-name", "slug", "-slug", "updated_at", "-updated_at"]
)


@router.get(
    "",
    response_model=TherapyListPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(422),
)
async def list_therapies(
    request: Request,
    page: PageDep,
    condition: Annotated[str | None, slug_filter("Only therapies used for this condition.")] = None,
    injectate: Annotated[str | None, slug_filter("Only therapies that inject this.")] = None,
    side_effect: Annotated[str | None, slug_filter("Only therapies with this side effect.")] = None,
    sort: Annotated[TherapySort, Query()] = "name",
) -> Response:
    """List therapies, optionally those for a condition or using an injectate."""
    values = {"condition": condition, "injectate": injectate, "side_effect": side_effect}
    filters = {name: value for name, value in values.items() if value is not None}
    found = await run_read(request, therapy_page, filters, sort, page.limit, page.offset)
    return page_body_response(request, found, page)


ROUTES = RecordRoutes(
    kind=THERAPY,
    name="therapy",
    body=TherapyWrite,
    detail=TherapyDetail,
    read=therapy_detail,
    docs=Docs(
        read="One therapy with its conditions, injectates, side effects, outcomes, facts and "
        "sources.",
        create="Create a therapy; add its links under it (indications, injectate uses ...).",
        update="Change some fields of a therapy (JSON merge patch; needs If-Match).",
        replace="Replace a therapy with the body, as a seed entry (needs If-Match).",
        delete="Delete a therapy and its links (409 while outcomes cite it); needs If-Match.",
    ),
    page="/therapies",
)
add_detail_route(router, ROUTES)
add_write_routes(router, ROUTES)
