"""Injectates: a page of them (optionally those a therapy uses) and one injectate's detail with
the therapies that use it and their protocols, each written by the database."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, select
from sqlmodel import Session

from app.errors import NotFound
from app.models import Injectate, InjectateDetail, InjectatePublic
from app.reads.pages import PageBody, order_by, read_page
from app.reads.shapes import (
    INJECTATE_SOURCES,
    INJECTATE_USES,
    INJECTATE_USES_SHAPE,
    INJECTATES,
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
    query: Select[Any] = select(INJECTATES.c.id)
    if "therapy" in filters:
        query = query.where(
            INJECTATES.c.id.in_(linked_to_therapy(INJECTATE_USES, INJECTATE_USES.c.injectate_id))
        )
    return record_page(InjectatePublic, INJECTATES, query, *order_by(Injectate, sort))


def injectate_page(
    connection: Connection, filters: dict[str, Any], sort: str, limit: int, offset: int
) -> PageBody:
    """The page of injectates matching `filters` (`therapy`: a slug)."""
    return read_page(_page_statement(frozenset(filters), sort), connection, filters, limit, offset)


_INJECTATE = INJECTATES.alias("detail_injectate")

INJECTATE_DETAIL = detail(
    InjectateDetail,
    _INJECTATE,
    therapies=correlated(
        therapies_through(INJECTATE_USES, INJECTATE_USES.c.injectate_id == _INJECTATE.c.id),
        _INJECTATE,
    ),
    uses=INJECTATE_USES_SHAPE.within(_INJECTATE, INJECTATE_USES.c.injectate_id == _INJECTATE.c.id),
    sources=correlated(
        sources_of(INJECTATE_SOURCES, INJECTATE_SOURCES.c.injectate_id == _INJECTATE.c.id),
        _INJECTATE,
    ),
)


def injectate_detail(connection: Connection | Session, slug: str) -> Any:
    """The injectate's key and version (its ETag) and its InjectateDetail as JSON (`body`)."""
    found = INJECTATE_DETAIL.first(connection, key=slug)
    if found is None:
        raise NotFound(f"No injectate with slug '{slug}'.")
    return found
