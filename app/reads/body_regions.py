"""Body regions: the regions conditions are filed under, each with its condition count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import Condition
from app.reads.pages import fetch_page


def body_region_counts(
    session: Session, sort: str, limit: int, offset: int
) -> tuple[list[tuple[str, int]], int]:
    """A page of (region, condition count) pairs in `sort` order (`slug` or `condition_count`,
    `-` for descending; ties by region), and how many regions there are."""
    region = col(Condition.body_region)
    count = func.count().label("condition_count")
    column = count if sort.removeprefix("-") == "condition_count" else region
    primary: Any = column.desc() if sort.startswith("-") else column.asc()
    statement = select(region, count).group_by(region)
    rows, total = fetch_page(
        session, statement, order_by=[primary, region], limit=limit, offset=offset
    )
    return [(slug, condition_count) for slug, condition_count in rows], total
