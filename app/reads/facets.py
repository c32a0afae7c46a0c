"""Facet counts: how the records matching a list request spread over the fields users filter by.

Counts cover every matching record, not only the page, and each is one GROUP BY over the ids
of the matching records (a subquery, or the bounded id list of a text search).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from sqlalchemy import Connection, distinct, func
from sqlmodel import col, select

from app.models import (
    EVIDENCE_RANK,
    Condition,
    EvidenceLevel,
    FacetCount,
    Indication,
    Outcome,
    Therapy,
)

ConditionFacet = Literal["body_region", "category", "therapy", "evidence_level"]
OutcomeFacet = Literal["evidence_level", "therapy", "condition", "body_region"]

CONDITION_FACETS_DESCRIPTION = (
    "Add counts of the matching conditions per `body_region`, `category`, `therapy` (used "
    "for it) or `evidence_level` (of an outcome reported for it); repeat for several."
)
OUTCOME_FACETS_DESCRIPTION = (
    "Add counts of the matching outcomes per `evidence_level`, `therapy`, `condition` or "
    "`body_region` (of the condition); repeat for several."
)

Facets = dict[str, list[dict[str, Any]]]
"""facet -> its counts (FacetCount), as the response body writes them."""
Ids = Any
"""A subquery of ids, or a list of them."""


def _ordered(facet: str, rows: Sequence[Any]) -> list[dict[str, Any]]:
    counts = [FacetCount(value=str(value), count=count) for value, count in rows if value]
    if facet == "evidence_level":
        counts.sort(key=lambda item: EVIDENCE_RANK[EvidenceLevel(item.value)])
    else:
        counts.sort(key=lambda item: (-item.count, item.value))
    return [count.model_dump() for count in counts]


def _condition_queries(ids: Ids) -> dict[str, Callable[[], Any]]:
    in_ids = col(Condition.id).in_(ids)
    return {
        "body_region": lambda: (
            select(Condition.body_region, func.count())
            .where(in_ids)
            .group_by(col(Condition.body_region))
        ),
        "category": lambda: (
            select(Condition.category, func.count()).where(in_ids).group_by(col(Condition.category))
        ),
        "therapy": lambda: (
            select(Therapy.slug, func.count(distinct(col(Indication.condition_id))))
            .join(Indication, col(Indication.therapy_id) == col(Therapy.id))
            .where(col(Indication.condition_id).in_(ids))
            .group_by(col(Therapy.slug))
        ),
        "evidence_level": lambda: (
            select(Outcome.evidence_level, func.count(distinct(col(Outcome.condition_id))))
            .where(col(Outcome.condition_id).in_(ids))
            .group_by(col(Outcome.evidence_level))
        ),
    }


def _outcome_queries(ids: Ids) -> dict[str, Callable[[], Any]]:
    in_ids = col(Outcome.id).in_(ids)
    return {
        "evidence_level": lambda: (
            select(Outcome.evidence_level, func.count())
            .where(in_ids)
            .group_by(col(Outcome.evidence_level))
        ),
        "therapy": lambda: (
            select(Therapy.slug, func.count())
            .join(Outcome, col(Outcome.therapy_id) == col(Therapy.id))
            .where(in_ids)
            .group_by(col(Therapy.slug))
        ),
        "condition": lambda: (
            select(Condition.slug, func.count())
            .join(Outcome, col(Outcome.condition_id) == col(Condition.id))
            .where(in_ids)
            .group_by(col(Condition.slug))
        ),
        "body_region": lambda: (
            select(Condition.body_region, func.count())
            .join(Outcome, col(Outcome.condition_id) == col(Condition.id))
            .where(in_ids)
            .group_by(col(Condition.body_region))
        ),
    }


def _facets(
    connection: Connection, queries: dict[str, Callable[[], Any]], names: Sequence[str] | None
) -> Facets:
    return {
        name: _ordered(name, connection.execute(queries[name]()).all())
        for name in dict.fromkeys(names or ())
    }


def condition_facets(connection: Connection, ids: Ids, names: Sequence[str] | None) -> Facets:
    """The facets asked for, over the conditions with these ids."""
    return _facets(connection, _condition_queries(ids), names) if names else {}


def outcome_facets(connection: Connection, ids: Ids, names: Sequence[str] | None) -> Facets:
    """The facets asked for, over the outcomes with these ids."""
    return _facets(connection, _outcome_queries(ids), names) if names else {}
