"""/v1/sources: where every statement comes from, and everything that cites each source."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.pagination import page_body_response
from app.http.params import PageDep, StrictQueryRoute
from app.http.prebuilt import PrebuiltJSON
from app.models import SourceCreate, SourceDetail, SourceKind, SourceListPage
from app.reads.sources import source_detail, source_page
from app.routes.record_routes import Docs, RecordRoutes, add_detail_route, add_write_routes
from app.store.engine import run_read
from app.writes.service import SOURCE

router = APIRouter(prefix="/v1/sources", tags=["sources"], route_class=StrictQueryRoute)

SourceSort = TypeAliasType(
    "SourceSort", Literal["slug", "-slug", "title", "-title", "year", "-year"]
)


@router.get(
    "",
    response_model=SourceListPage,
    response_class=PrebuiltJSON,
    responses=problem_responses(422),
)
async def list_sources(
    request: Request,
    page: PageDep,
    kind: Annotated[SourceKind | None, Query(description="Only sources of this kind.")] = None,
    year: Annotated[int | None, Query(ge=1800, le=2100, description="Published that year.")] = None,
    sort: Annotated[SourceSort, Query()] = "slug",
) -> Response:
    """List sources, optionally by kind or year."""
    values: dict[str, Any] = {"kind": None if kind is None else kind.value, "year": year}
    filters = {name: value for name, value in values.items() if value is not None}
    found = await run_read(request, source_page, filters, sort, page.limit, page.offset)
    return page_body_response(request, found, page)


ROUTES = RecordRoutes(
    kind=SOURCE,
    name="source",
    body=SourceCreate,
    detail=SourceDetail,
    read=source_detail,
    docs=Docs(
        read="One source with every record that cites it.",
        create="Create a source.",
        update="Change some fields of a source (JSON merge patch; needs If-Match).",
        replace="Replace a source with the body, as a seed entry (needs If-Match).",
        delete="Delete a source (409 while any record or link cites it); needs If-Match.",
    ),
    page="/sources",
)
add_detail_route(router, ROUTES)
add_write_routes(router, ROUTES)
