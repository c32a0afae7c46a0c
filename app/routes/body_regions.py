"""/v1/body-regions: the body regions conditions are filed under, with their condition counts."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from sqlalchemy import func
from sqlmodel import col, select

from app.db import SessionDep
from app.errors import problem_responses
from app.models import BodyRegionPublic, Condition
from app.pagination import Page, absolute_url, fetch_page, make_page
from app.params import PageDep, StrictQueryRoute

router = APIRouter(prefix="/v1/body-regions", tags=["conditions"], route_class=StrictQueryRoute)

BodyRegionSort = Literal["slug", "-slug", "condition_count", "-condition_count"]


@router.get("", response_model=Page[BodyRegionPublic], responses=problem_responses(422))
def list_body_regions(
    request: Request,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[
        BodyRegionSort, Query(description="`-condition_count` puts the largest first.")
    ] = "slug",
) -> dict[str, Any]:
    """List body regions, each with how many conditions it has and a link to them."""
    region = col(Condition.body_region)
    count = func.count().label("condition_count")
    column = count if sort.removeprefix("-") == "condition_count" else region
    primary = column.desc() if sort.startswith("-") else column.asc()
    statement = select(region, count).group_by(region)
    rows, total = fetch_page(session, statement, order_by=[primary, region], params=page)
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
