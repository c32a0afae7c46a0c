"""Therapies: a page of them (filtered by what they treat, inject or risk) and one therapy's
detail with its links, outcomes and sources, each written by the database."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlmodel import Session

from app.errors import NotFound
from app.models import Therapy, TherapyDetail, TherapyPublic
from app.reads.pages import PageBody, order_by, read_page
from app.reads.shapes import (
    CONDITIONS,
    FACTS,
    FACTS_SHAPE,
    INDICATIONS,
    INDICATIONS_SHAPE,
    INJECTATE_USES,
    INJECTATE_USES_SHAPE,
    INJECTATES,
    OUTCOMES,
    OUTCOMES_SHAPE,
    SIDE_EFFECT_REPORTS,
    SIDE_EFFECT_REPORTS_SHAPE,
    SIDE_EFFECTS,
    THERAPIES,
    THERAPY_SOURCES,
    detail,
    record_page,
    sources_of,
)
from app.reads.sql_json import correlated
from app.store.engine import Prepared

FILTERS = ("condition", "injectate", "side_effect")
"""The list's filters, each a slug of what the therapy is linked to."""


@functools.lru_cache(maxsize=64)
def _page_statement(filters: frozenset[str], sort: str) -> Prepared:
    query: Select[Any] = select(THERAPIES.c.id)
    for name, link, table, column in (
        ("condition", INDICATIONS, CONDITIONS, INDICATIONS.c.condition_id),
        ("injectate", INJECTATE_USES, INJECTATES, INJECTATE_USES.c.injectate_id),
        ("side_effect", SIDE_EFFECT_REPORTS, SIDE_EFFECTS, SIDE_EFFECT_REPORTS.c.side_effect_id),
    ):
        if name in filters:
            linked = select(link.c.therapy_id).join(table, column == table.c.id)
            query = query.where(THERAPIES.c.id.in_(linked.where(table.c.slug == bindparam(name))))
    return record_page(TherapyPublic, THERAPIES, query, *order_by(Therapy, sort))


def therapy_page(
    connection: Connection, filters: dict[str, str], sort: str, limit: int, offset: int
) -> PageBody:
    """The page of therapies matching `filters` (slugs named as in FILTERS)."""
    return read_page(_page_statement(frozenset(filters), sort), connection, filters, limit, offset)


_THERAPY = THERAPIES.alias("detail_therapy")
"""The detail's therapy row: an alias, since the lists join `therapies` themselves."""

THERAPY_DETAIL = detail(
    TherapyDetail,
    _THERAPY,
    indications=INDICATIONS_SHAPE.within(_THERAPY, INDICATIONS.c.therapy_id == _THERAPY.c.id),
    injectates=INJECTATE_USES_SHAPE.within(_THERAPY, INJECTATE_USES.c.therapy_id == _THERAPY.c.id),
    side_effects=SIDE_EFFECT_REPORTS_SHAPE.within(
        _THERAPY, SIDE_EFFECT_REPORTS.c.therapy_id == _THERAPY.c.id
    ),
    facts=FACTS_SHAPE.within(_THERAPY, FACTS.c.therapy_id == _THERAPY.c.id),
    outcomes=OUTCOMES_SHAPE.within(_THERAPY, OUTCOMES.c.therapy_id == _THERAPY.c.id),
    sources=correlated(
        sources_of(THERAPY_SOURCES, THERAPY_SOURCES.c.therapy_id == _THERAPY.c.id), _THERAPY
    ),
)


def therapy_detail(connection: Connection | Session, slug: str) -> Any:
    """The therapy's key and version (its ETag) and its TherapyDetail as JSON (`body`)."""
    found = THERAPY_DETAIL.first(connection, key=slug)
    if found is None:
        raise NotFound(f"No therapy with slug '{slug}'.")
    return found
