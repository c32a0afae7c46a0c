"""Outcomes: a page of them (by therapy, condition, source or evidence level, with facets) and
one outcome's detail, each written by the database."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlmodel import Session

from app.errors import NotFound
from app.reads.facets import OutcomeFacet, outcome_facets
from app.reads.pages import PageBody
from app.reads.shapes import (
    CONDITIONS,
    OUTCOMES,
    OUTCOMES_SHAPE,
    SOURCES,
    THERAPIES,
    reviewed_before,
)
from app.reads.sql_json import page_of, response_body
from app.store.engine import Prepared


@functools.lru_cache(maxsize=256)
def outcome_statements(filters: frozenset[str], sort: str) -> tuple[Select[Any], Prepared]:
    """For one combination of filters and a sort: the matching outcome ids, and one statement
    giving the page's items as JSON and the count. Values are bound at execution (parameters
    named as the keys: `therapy`, `condition`, `source` (slugs), `level_0`, `level_1` ...
    (evidence levels), `max_rank`, `reviewed_before` (an ISO date))."""
    outcomes, therapies, conditions, sources = OUTCOMES, THERAPIES, CONDITIONS, SOURCES
    query = select(outcomes.c.id)  # joins only to filter: every outcome has its therapy, source
    for name, table, key in (
        ("therapy", therapies, outcomes.c.therapy_id),
        ("condition", conditions, outcomes.c.condition_id),
        ("source", sources, outcomes.c.source_id),
    ):
        if name in filters:
            query = query.join(table, key == table.c.id).where(table.c.slug == bindparam(name))
    levels = sorted(name for name in filters if name.startswith("level_"))
    if levels:
        query = query.where(outcomes.c.evidence_level.in_([bindparam(n) for n in levels]))
    if "max_rank" in filters:
        query = query.where(outcomes.c.evidence_rank <= bindparam("max_rank"))
    if "reviewed_before" in filters:
        query = query.where(reviewed_before(outcomes))
    column = {
        "evidence": outcomes.c.evidence_rank,
        "slug": outcomes.c.slug,
        "sample_size": outcomes.c.sample_size,
        "reviewed_on": outcomes.c.reviewed_on,
    }[sort.removeprefix("-")]
    order = [column.desc() if sort.startswith("-") else column.asc(), outcomes.c.slug]
    shape = OUTCOMES_SHAPE
    return query, Prepared(page_of(shape.item, shape.rows, outcomes.c.id, query, *order))


def outcome_page(
    connection: Connection,
    filters: dict[str, Any],
    sort: str,
    facets: list[OutcomeFacet] | None,
    limit: int,
    offset: int,
) -> PageBody:
    """The page of outcomes matching `filters` (the bound values of `outcome_statements`)."""
    query, statement = outcome_statements(frozenset(filters), sort)
    found = statement.first(connection, **filters, limit=limit, offset=offset)
    assert found is not None
    ids: Any = query.params(**filters) if facets else []
    return PageBody(found.items, found.total, {"facets": outcome_facets(connection, ids, facets)})


OUTCOME_DETAIL = Prepared(
    OUTCOMES_SHAPE.rows.with_only_columns(
        OUTCOMES.c.id,
        OUTCOMES.c.slug,
        OUTCOMES.c.version,
        response_body(OUTCOMES_SHAPE.item).label("body"),
        maintain_column_froms=True,
    ).where(OUTCOMES.c.slug == bindparam("key"))
)


def outcome_detail(connection: Connection | Session, slug: str) -> Any:
    """The outcome's key and version (its ETag) and its OutcomeDetail as JSON (`body`)."""
    found = OUTCOME_DETAIL.first(connection, key=slug)
    if found is None:
        raise NotFound(f"No outcome with slug '{slug}'.")
    return found
