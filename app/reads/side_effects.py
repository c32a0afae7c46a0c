"""Side effects: a page of them (by therapy, or serious or not) and one side effect's detail
with every report of it, each written by the database."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlmodel import Session

from app.errors import NotFound
from app.models import SideEffect, SideEffectDetail, SideEffectPublic
from app.reads.pages import PageBody, order_by, read_page
from app.reads.shapes import (
    SIDE_EFFECT_REPORTS,
    SIDE_EFFECT_REPORTS_SHAPE,
    SIDE_EFFECT_SOURCES,
    SIDE_EFFECTS,
    detail,
    linked_to_therapy,
    record_page,
    sources_of,
    therapies_through,
)
from app.reads.sql_json import correlated
from app.store.engine import Prepared


@functools.lru_cache(maxsize=16)
def _page_statement(filters: frozenset[str], sort: str) -> Prepared:
    query: Select[Any] = select(SIDE_EFFECTS.c.id)
    if "therapy" in filters:
        query = query.where(
            SIDE_EFFECTS.c.id.in_(
                linked_to_therapy(SIDE_EFFECT_REPORTS, SIDE_EFFECT_REPORTS.c.side_effect_id)
            )
        )
    if "serious" in filters:
        query = query.where(SIDE_EFFECTS.c.serious == bindparam("serious"))
    return record_page(SideEffectPublic, SIDE_EFFECTS, query, *order_by(SideEffect, sort))


def side_effect_page(
    connection: Connection, filters: dict[str, Any], sort: str, limit: int, offset: int
) -> PageBody:
    """The page of side effects matching `filters` (`therapy`: a slug; `serious`: a bool)."""
    return read_page(_page_statement(frozenset(filters), sort), connection, filters, limit, offset)


_SIDE_EFFECT = SIDE_EFFECTS.alias("detail_side_effect")

SIDE_EFFECT_DETAIL = detail(
    SideEffectDetail,
    _SIDE_EFFECT,
    therapies=correlated(
        therapies_through(
            SIDE_EFFECT_REPORTS, SIDE_EFFECT_REPORTS.c.side_effect_id == _SIDE_EFFECT.c.id
        ),
        _SIDE_EFFECT,
    ),
    reports=SIDE_EFFECT_REPORTS_SHAPE.within(
        _SIDE_EFFECT, SIDE_EFFECT_REPORTS.c.side_effect_id == _SIDE_EFFECT.c.id
    ),
    sources=correlated(
        sources_of(SIDE_EFFECT_SOURCES, SIDE_EFFECT_SOURCES.c.side_effect_id == _SIDE_EFFECT.c.id),
        _SIDE_EFFECT,
    ),
)


def side_effect_detail(connection: Connection | Session, slug: str) -> Any:
    """The side effect's key and version (its ETag) and its SideEffectDetail as JSON."""
    found = SIDE_EFFECT_DETAIL.first(connection, key=slug)
    if found is None:
        raise NotFound(f"No side effect with slug '{slug}'.")
    return found
