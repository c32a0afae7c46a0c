"""/v1/side-effects: adverse effects, and how often each source reports them per therapy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.pagination import page_body_response
from app.http.params import PageDep, StrictQueryRoute, slug_filter
from app.http.prebuilt import PrebuiltJSON
from app.models import SideEffectCreate, SideEffectDetail, SideEffectListPage
from app.reads.side_effects import side_effect_detail, side_effect_page
from app.routes.record_routes import Docs, RecordRoutes, add_detail_route, add_write_routes
from app.store.engine import run_read
from app.writes.service import SIDE_EFFECT

router = APIRouter(prefix="/v1/side-effects", tags=["side-effects"], route_class=StrictQueryRoute)

SideEffectSort = TypeAliasType("SideEffectSort", Literal["name", "-name", "slug", "-slug"])


@router.get(
    "",
    response_model=SideEffectListPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(422),
)
async def list_side_effects(
    request: Request,
    page: PageDep,
    therapy: Annotated[str | None, slug_filter("Only side effects reported for this.")] = None,
    serious: Annotated[
        bool | None, Query(description="Only serious (or non-serious) ones.")
    ] = None,
    sort: Annotated[SideEffectSort, Query()] = "name",
) -> Response:
    """List side effects, optionally those reported for a therapy."""
    values: dict[str, Any] = {"therapy": therapy, "serious": serious}
    filters = {name: value for name, value in values.items() if value is not None}
    found = await run_read(request, side_effect_page, filters, sort, page.limit, page.offset)
    return page_body_response(request, found, page)


ROUTES = RecordRoutes(
    kind=SIDE_EFFECT,
    name="side_effect",
    body=SideEffectCreate,
    detail=SideEffectDetail,
    read=side_effect_detail,
    docs=Docs(
        read="One side effect with every report of it: therapy, frequency and source.",
        create="Create a side effect.",
        update="Change some fields of a side effect (JSON merge patch; needs If-Match).",
        replace="Replace a side effect with the body, as a seed entry (needs If-Match).",
        delete="Delete a side effect (409 while reports of it cite it); needs If-Match.",
    ),
    page="/side-effects",
)
add_detail_route(router, ROUTES)
add_write_routes(router, ROUTES)
