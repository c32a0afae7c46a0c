"""/v1/injectates: what is injected, its components and how each therapy uses it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.pagination import page_body_response
from app.http.params import PageDep, StrictQueryRoute, slug_filter
from app.http.prebuilt import PrebuiltJSON
from app.models import InjectateCreate, InjectateDetail, InjectateListPage
from app.reads.injectates import injectate_detail, injectate_page
from app.routes.record_routes import Docs, RecordRoutes, add_detail_route, add_write_routes
from app.store.engine import run_read
from app.writes.service import INJECTATE

router = APIRouter(prefix="/v1/injectates", tags=["injectates"], route_class=StrictQueryRoute)

InjectateSort = TypeAliasType("InjectateSort", Literal["name", "-name", "slug", "-slug"])


@router.get(
    "",
    response_model=InjectateListPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(422),
)
async def list_injectates(
    request: Request,
    page: PageDep,
    therapy: Annotated[str | None, slug_filter("Only injectates this therapy uses.")] = None,
    sort: Annotated[InjectateSort, Query()] = "name",
) -> Response:
    """List injectates, optionally those a therapy uses."""
    filters = {} if therapy is None else {"therapy": therapy}
    found = await run_read(request, injectate_page, filters, sort, page.limit, page.offset)
    return page_body_response(request, found, page)


ROUTES = RecordRoutes(
    kind=INJECTATE,
    name="injectate",
    body=InjectateCreate,
    detail=InjectateDetail,
    read=injectate_detail,
    docs=Docs(
        read="One injectate with the therapies that use it and their protocols.",
        create="Create an injectate.",
        update="Change some fields of an injectate (JSON merge patch; needs If-Match).",
        replace="Replace an injectate with the body, as a seed entry (needs If-Match).",
        delete="Delete an injectate (409 while a therapy's protocol uses it); needs If-Match.",
    ),
    page="/injectates",
)
add_detail_route(router, ROUTES)
add_write_routes(router, ROUTES)
