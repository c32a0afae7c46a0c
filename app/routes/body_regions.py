"""/v1/body-regions: the body regions conditions are filed under, with their condition counts."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from typing_extensions import TypeAliasType

from app.errors import problem_responses
from app.http.pagination import absolute_url, make_page
from app.http.params import PageDep, StrictQueryRoute
from app.models import BodyRegionListPage, BodyRegionPublic
from app.reads.body_regions import body_region_counts
from app.store.engine import SessionDep

router = APIRouter(prefix="/v1/body-regions", tags=["conditions"], route_class=StrictQueryRoute)

BodyRegionSort = TypeAliasType(
    "BodyRegionSort", Literal["slug", "-slug", "condition_count", "-condition_count"]
)


@router.get("", response_model=BodyRegionListPage, responses=problem_responses(422))
def list_body_regions(
    request: Request,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[
        BodyRegionSort, Query(description="`-condition_count` puts the largest first.")
    ] = "slug",
) -> dict[str, Any]:
    """List body regions, each with how many conditions it has and a link to them."""
    rows, total = body_region_counts(session, sort, page.limit, page.offset)
    conditions_path = request.app.url_path_for("list_conditions")
    items = [
        BodyRegionPublic(
            slug=slug,
            condition_count=condition_count,
            conditions_url=absolute_url(
                request, f"{conditions_path}?{urlencode({'body_region': slug})}"
            ),
        )
        for slug, condition_count in rows
    ]
    return make_page(request, items, total=total, params=page)
