"""Sources: a page of them (by kind or year) and one source's detail with every record and
link that cites it, each written by the database."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Select, bindparam, select
from sqlmodel import Session

from app.errors import NotFound
from app.models import (
    ConditionSummary,
    InjectateSummary,
    SideEffectSummary,
    Source,
    SourceCitations,
    SourceDetail,
    SourcePublic,
    TherapySummary,
)
from app.reads.pages import PageBody, order_by, read_page
from app.reads.shapes import (
    CONDITION_SOURCES,
    CONDITIONS,
    FACTS,
    FACTS_SHAPE,
    INDICATIONS,
    INDICATIONS_SHAPE,
    INJECTATE_SOURCES,
    INJECTATE_USES,
    INJECTATE_USES_SHAPE,
    INJECTATES,
    OUTCOMES,
    SIDE_EFFECT_REPORTS,
    SIDE_EFFECT_REPORTS_SHAPE,
    SIDE_EFFECT_SOURCES,
    SIDE_EFFECTS,
    SOURCES,
    THERAPIES,
    THERAPY_SOURCES,
    citing,
    detail,
    outcome_summaries,
    record_page,
)
from app.reads.sql_json import correlated, record
from app.store.engine import Prepared


@functools.lru_cache(maxsize=32)
def _page_statement(filters: frozenset[str], sort: str) -> Prepared:
    query: Select[Any] = select(SOURCES.c.id)
    for name in ("kind", "year", "slug", "doi", "pmid", "trial_registration"):
        if name in filters:
            query = query.where(SOURCES.c[name] == bindparam(name))
    return record_page(SourcePublic, SOURCES, query, *order_by(Source, sort))


def source_page(
    connection: Connection, filters: dict[str, Any], sort: str, limit: int, offset: int
) -> PageBody:
    """The page of sources matching `filters` (`kind`, `year`; `slug`, `doi`, `pmid` and
    `trial_registration` for the FHIR view's identifier searches, app/fhir/)."""
    return read_page(_page_statement(frozenset(filters), sort), connection, filters, limit, offset)


_SOURCE = SOURCES.alias("detail_source")
_HERE = _SOURCE.c.id


def _cited_by() -> Any:
    """The SourceCitations of `_SOURCE`: records by slug, links in their shapes' orders."""
    arrays = {
        "therapies": citing(
            THERAPIES,
            TherapySummary,
            THERAPY_SOURCES,
            THERAPY_SOURCES.c.therapy_id,
            THERAPY_SOURCES.c.source_id == _HERE,
        ),
        "conditions": citing(
            CONDITIONS,
            ConditionSummary,
            CONDITION_SOURCES,
            CONDITION_SOURCES.c.condition_id,
            CONDITION_SOURCES.c.source_id == _HERE,
        ),
        "injectates": citing(
            INJECTATES,
            InjectateSummary,
            INJECTATE_SOURCES,
            INJECTATE_SOURCES.c.injectate_id,
            INJECTATE_SOURCES.c.source_id == _HERE,
        ),
        "side_effects": citing(
            SIDE_EFFECTS,
            SideEffectSummary,
            SIDE_EFFECT_SOURCES,
            SIDE_EFFECT_SOURCES.c.side_effect_id,
            SIDE_EFFECT_SOURCES.c.source_id == _HERE,
        ),
        "outcomes": outcome_summaries(OUTCOMES.c.source_id == _HERE),
        "indications": INDICATIONS_SHAPE.array(INDICATIONS.c.source_id == _HERE),
        "injectate_uses": INJECTATE_USES_SHAPE.array(INJECTATE_USES.c.source_id == _HERE),
        "side_effect_reports": SIDE_EFFECT_REPORTS_SHAPE.array(
            SIDE_EFFECT_REPORTS.c.source_id == _HERE
        ),
        "facts": FACTS_SHAPE.array(FACTS.c.source_id == _HERE),
    }
    nested = {name: correlated(value, _SOURCE) for name, value in arrays.items()}
    return record(SourceCitations, _SOURCE, **nested)


SOURCE_DETAIL = detail(SourceDetail, _SOURCE, cited_by=_cited_by())


def source_detail(connection: Connection | Session, slug: str) -> Any:
    """The source's key and version (its ETag) and its SourceDetail as JSON (`body`)."""
    found = SOURCE_DETAIL.first(connection, key=slug)
    if found is None:
        raise NotFound(f"No source with slug '{slug}'.")
    return found
