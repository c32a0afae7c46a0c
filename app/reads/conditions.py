"""Conditions: a page of them (filtered, or found by text), one condition's detail, and the
clinician's question, which therapies for this condition and how well, each written by the
database."""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Select,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    union,
)
from sqlmodel import Session, select

from app.errors import NotFound
from app.models import (
    EVIDENCE_RANK,
    Comparison,
    Condition,
    ConditionDetail,
    ConditionListItem,
    ConditionPublic,
    ConditionSummary,
    ConditionTherapy,
    Direction,
    EvidenceCount,
    EvidenceSummary,
    RelatedHit,
    SearchMatch,
    SearchType,
    TherapySummary,
)
from app.reads.facets import ConditionFacet, condition_facets
from app.reads.pages import PageBody, order_by
from app.reads.shapes import (
    CONDITION_SOURCES,
    CONDITIONS,
    INDICATIONS,
    INDICATIONS_SHAPE,
    INJECTATE_USES,
    INJECTATE_USES_SHAPE,
    INJECTATES,
    OUTCOMES,
    OUTCOMES_SHAPE,
    SIDE_EFFECT_REPORTS,
    SIDE_EFFECT_REPORTS_SHAPE,
    THERAPIES,
    detail,
    reviewed_before,
    sources_of,
    therapies_through,
)
from app.reads.sql_json import array, boolean, correlated, page_of, record, response_body
from app.search.query import Hit, code_filter, related_hits, search
from app.store.engine import Prepared


@functools.lru_cache(maxsize=64)
def condition_ids(filters: frozenset[str]) -> Select[Any]:
    """The ids of the conditions matching `filters`, the names of the values bound at
    execution: `body_region`, `category`, `therapy` (a slug), `reviewed_before` (an ISO date)
    and `code_low`/`code_high` (`app.search.query.code_range`)."""
    query = select(CONDITIONS.c.id)
    if "code_low" in filters:
        query = query.where(code_filter(bounded="code_high" in filters))
    for name in ("body_region", "category"):
        if name in filters:
            query = query.where(CONDITIONS.c[name] == bindparam(name))
    if "reviewed_before" in filters:
        query = query.where(reviewed_before(CONDITIONS))
    if "therapy" in filters:
        used_for = (
            select(INDICATIONS.c.condition_id)
            .join(THERAPIES, INDICATIONS.c.therapy_id == THERAPIES.c.id)
            .where(THERAPIES.c.slug == bindparam("therapy"))
        )
        query = query.where(CONDITIONS.c.id.in_(used_for))
    return query


@functools.lru_cache(maxsize=256)
def condition_list_statement(filters: frozenset[str], sort: str) -> Prepared:
    """For one combination of filters and a sort: a page of conditions as JSON (`items`, each
    with `match` null) and the count (`total`), in one statement."""
    item = record(ConditionListItem, CONDITIONS, match=null())
    rows = select(CONDITIONS.c.id)
    order = order_by(Condition, sort)
    return Prepared(page_of(item, rows, CONDITIONS.c.id, condition_ids(filters), *order))


def condition_page(
    connection: Connection,
    filters: dict[str, Any],
    sort: str,
    facets: list[ConditionFacet] | None,
    limit: int,
    offset: int,
) -> PageBody:
    """The page of conditions matching `filters` (the bound values of `condition_ids`)."""
    statement = condition_list_statement(frozenset(filters), sort)
    found = statement.first(connection, **filters, limit=limit, offset=offset)
    assert found is not None
    ids: Any = condition_ids(frozenset(filters)).params(**filters) if facets else []
    return PageBody(
        found.items,
        found.total,
        {
            "did_you_mean": [],
            "facets": condition_facets(connection, ids, facets),
            "related": [],
            "message": None,
        },
    )


@functools.lru_cache(maxsize=128)
def condition_items(count: int) -> Prepared:
    """`count` conditions by id (bound as `id0`, `id1` ...), each as the JSON of a list item
    without its `match`: one statement text per page length, run on the driver's cursor."""
    ids: list[Any] = [bindparam(f"id{number}") for number in range(count)]
    item = response_body(record(ConditionPublic, CONDITIONS))
    return Prepared(select(CONDITIONS.c.id, item).where(CONDITIONS.c.id.in_(ids)))


assert list(ConditionListItem.model_fields) == [*ConditionPublic.model_fields, "match"]
# as `_with_match` writes it (app/search/query.py `Hit.match`)
assert list(SearchMatch.model_fields) == ["field", "text", "matched_words", "unmatched_words"]
assert list(RelatedHit.model_fields) == ["type", "slug", "title", "shared_words", "why"]


def condition_search_page(
    connection: Connection,
    q: str,
    filters: dict[str, Any],
    sort: str | None,
    facets: list[ConditionFacet] | None,
    limit: int,
    offset: int,
) -> PageBody:
    """The page of conditions matching `q` (and `filters`, the bound values of
    `condition_ids`), best match first unless sorted, each item with its `match` added; the
    conditions that only share words with `q` as `related`, and a `message` saying which."""
    result = search(connection, q, types=[SearchType.condition])
    hits = {hit.record_id: hit for hit in result.hits}
    if filters:
        matching = condition_ids(frozenset(filters)).where(CONDITIONS.c.id.in_(list(hits)))
        kept = set(connection.execute(matching, filters).scalars())
        hits = {record_id: hit for record_id, hit in hits.items() if record_id in kept}
    if sort is None:
        window = list(hits)[offset : offset + limit]
    else:
        ordered = (
            select(CONDITIONS.c.id)
            .where(CONDITIONS.c.id.in_(list(hits)))
            .order_by(*order_by(Condition, sort))
            .limit(limit)
            .offset(offset)
        )
        window = list(connection.execute(ordered).scalars())
    ids = {f"id{number}": record_id for number, record_id in enumerate(window)}
    found: dict[int, str] = (
        dict(condition_items(len(window)).all(connection, **ids)) if window else {}
    )
    items = ",".join(_with_match(found[record_id], hits[record_id]) for record_id in window)
    return PageBody(
        f"[{items}]",
        len(hits),
        {
            "did_you_mean": result.did_you_mean,
            "facets": condition_facets(connection, list(hits), facets),
            "related": related_hits(connection, result.related),
            "message": result.message("condition"),
        },
    )


def _with_match(item: str, hit: Hit) -> str:
    """A list item's JSON with `match`, its last field, added."""
    match = orjson.dumps(hit.match()).decode()
    return f'{item[:-1]},"match":{match}}}'


_CONDITION = CONDITIONS.alias("detail_condition")
"""The detail's condition row: an alias, since its lists join `conditions` themselves."""

CONDITION_DETAIL = detail(
    ConditionDetail,
    _CONDITION,
    therapies=correlated(
        therapies_through(INDICATIONS, INDICATIONS.c.condition_id == _CONDITION.c.id), _CONDITION
    ),
    indications=INDICATIONS_SHAPE.within(_CONDITION, INDICATIONS.c.condition_id == _CONDITION.c.id),
    outcomes=OUTCOMES_SHAPE.within(_CONDITION, OUTCOMES.c.condition_id == _CONDITION.c.id),
    sources=correlated(
        sources_of(CONDITION_SOURCES, CONDITION_SOURCES.c.condition_id == _CONDITION.c.id),
        _CONDITION,
    ),
)


def condition_detail(connection: Connection | Session, slug: str) -> Any:
    """The condition's key and version (its ETag) and its ConditionDetail as JSON (`body`)."""
    found = CONDITION_DETAIL.first(connection, key=slug)
    if found is None:
        raise NotFound(f"No condition with slug '{slug}'.")
    return found


CONDITION_KEY = Prepared(
    select(
        CONDITIONS.c.id, response_body(record(ConditionSummary, CONDITIONS)).label("summary")
    ).where(CONDITIONS.c.slug == bindparam("slug"))
)


def condition_therapy_page(
    connection: Connection, slug: str, filters: dict[str, Any], limit: int, offset: int
) -> PageBody:
    """The page of the condition's therapies matching `filters` (the bound values of
    `condition_therapy_statement`), with the condition's summary."""
    condition = CONDITION_KEY.first(connection, slug=slug)
    if condition is None:
        raise NotFound(f"No condition with slug '{slug}'.")
    statement = condition_therapy_statement(frozenset(filters))
    values = {"condition_id": condition.id, **filters}
    found = statement.first(connection, **values, limit=limit, offset=offset)
    assert found is not None
    return PageBody(found.items, found.total, {"condition": orjson.Fragment(condition.summary)})


_THERAPY = THERAPIES.alias("condition_therapy")
"""A therapy listed for the condition: an alias, since its lists join `therapies` too."""


def _strongest_outcome(column: Any) -> Any:
    """`column` of the therapy's strongest outcome for the condition itself (null if none)."""
    return (
        select(column)
        .where(
            OUTCOMES.c.therapy_id == _THERAPY.c.id,
            OUTCOMES.c.condition_id == bindparam("condition_id"),
        )
        .order_by(OUTCOMES.c.evidence_rank, OUTCOMES.c.slug)
        .limit(1)
        .scalar_subquery()
    )


def _rank(column: Any, vocabulary: type[StrEnum]) -> Any:
    """The position of `column`'s value in `vocabulary` (its declared order), for sorting."""
    return case(
        *((column == value.value, rank) for rank, value in enumerate(vocabulary)),
        else_=len(vocabulary),
    )


def weighed_order() -> tuple[Any, ...]:
    """The order a clinician weighs outcomes in: evidence level, then between-group before
    within-group before none, then the larger sample first (unknown sizes last), then slug."""
    return (
        OUTCOMES.c.evidence_rank,
        _rank(OUTCOMES.c.comparison, Comparison),
        case((OUTCOMES.c.sample_size.is_(None), 1), else_=0),
        OUTCOMES.c.sample_size.desc(),
        OUTCOMES.c.slug,
    )


def _count(*where: Any) -> Any:
    """How many of the therapy's outcomes match `where`."""
    return (
        select(func.count())
        .select_from(OUTCOMES)
        .where(OUTCOMES.c.therapy_id == _THERAPY.c.id, *where)
        .scalar_subquery()
    )


def _sentence(*parts: Any) -> Any:
    """Text pieces (plain strings, without quotes) and numbers joined into one string."""
    pieces = [
        literal_column(f"'{part}'") if isinstance(part, str) else cast(part, String)
        for part in parts
    ]
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = joined.op("||")(piece)
    return joined


NO_CONDITION_EVIDENCE = "No evidence about this condition itself: no outcome was reported for it"
"""How `evidence_summary.summary` begins when the condition has no outcome of its own."""


def _evidence_summary(here: Any) -> Any:
    """The EvidenceSummary of the therapy in the condition bound as `here`."""
    specific = OUTCOMES.c.condition_id == here
    between = OUTCOMES.c.comparison == Comparison.between_groups.value

    def between_with(direction: Direction) -> Any:
        return _count(specific, between, OUTCOMES.c.direction == direction.value)

    n_specific = _count(specific)
    n_general = _count(OUTCOMES.c.condition_id.is_(None))
    summary = case(
        (
            n_specific == 0,
            _sentence(
                NO_CONDITION_EVIDENCE,
                "; general statements about the therapy, listed apart: ",
                n_general,
                ".",
            ),
        ),
        else_=_sentence(
            "Outcomes for this condition: ",
            n_specific,
            "; between-group: ",
            _count(specific, between),
            " (favour the therapy: ",
            between_with(Direction.favours_therapy),
            ", no difference: ",
            between_with(Direction.no_difference),
            ", favour the comparator: ",
            between_with(Direction.favours_comparator),
            ", unclear: ",
            between_with(Direction.unclear),
            "); within-group: ",
            _count(specific, OUTCOMES.c.comparison == Comparison.within_group.value),
            "; no comparison: ",
            _count(specific, OUTCOMES.c.comparison == Comparison.none.value),
            "; general statements about the therapy, listed apart: ",
            n_general,
            ".",
        ),
    )
    grouped = (
        select(OUTCOMES.c.evidence_level)
        .where(OUTCOMES.c.therapy_id == _THERAPY.c.id, specific)
        .group_by(
            OUTCOMES.c.evidence_rank,
            OUTCOMES.c.evidence_level,
            OUTCOMES.c.comparison,
            OUTCOMES.c.direction,
        )
    )
    counts = correlated(
        array(
            record(EvidenceCount, OUTCOMES, count=func.count()),
            grouped,
            OUTCOMES.c.evidence_rank,
            _rank(OUTCOMES.c.comparison, Comparison),
            _rank(OUTCOMES.c.direction, Direction),
        ),
        _THERAPY,
    )
    return record(
        EvidenceSummary,
        OUTCOMES,
        has_condition_specific_evidence=boolean(n_specific > 0),
        condition_specific_outcomes=n_specific,
        between_group_outcomes=_count(specific, between),
        general_outcomes=n_general,
        counts=counts,
        summary=summary,
    )


@functools.lru_cache(maxsize=8)
def condition_therapy_statement(filters: frozenset[str]) -> Prepared:
    """For one combination of filters: a page of ConditionTherapy items as JSON (`items`), and
    the count (`total`), in one statement.

    A therapy is listed when a source names it for the condition (an indication) or reports an
    outcome for it there. Its `outcomes` are those for the condition itself; those stated for
    no condition are `general_outcomes`, apart, and never count as evidence here (not in the
    best evidence level, not in `evidence_summary`). Both in `weighed_order`. Therapies:
    strongest evidence for the condition first.
    """
    here: Any = bindparam("condition_id")
    uses_here = or_(INJECTATE_USES.c.condition_id.is_(None), INJECTATE_USES.c.condition_id == here)
    best_rank = _strongest_outcome(OUTCOMES.c.evidence_rank)
    therapy_ids = union(
        select(INDICATIONS.c.therapy_id).where(INDICATIONS.c.condition_id == here),
        select(OUTCOMES.c.therapy_id).where(OUTCOMES.c.condition_id == here),
    )
    query = select(_THERAPY.c.id).where(_THERAPY.c.id.in_(therapy_ids))
    if "injectate" in filters:
        query = query.where(
            exists().where(
                INJECTATE_USES.c.therapy_id == _THERAPY.c.id,
                uses_here,
                INJECTATE_USES.c.injectate_id == INJECTATES.c.id,
                INJECTATES.c.slug == bindparam("injectate"),
            )
        )
    if "max_rank" in filters:
        query = query.where(best_rank <= bindparam("max_rank"))

    def outcomes(*where: Any) -> Any:
        rows = OUTCOMES_SHAPE.rows.where(OUTCOMES.c.therapy_id == _THERAPY.c.id, *where)
        return array(OUTCOMES_SHAPE.item, rows, *weighed_order())

    of_therapy = {
        "indications": INDICATIONS_SHAPE.array(
            INDICATIONS.c.therapy_id == _THERAPY.c.id, INDICATIONS.c.condition_id == here
        ),
        "injectates": INJECTATE_USES_SHAPE.array(
            INJECTATE_USES.c.therapy_id == _THERAPY.c.id, uses_here
        ),
        "outcomes": outcomes(OUTCOMES.c.condition_id == here),
        "side_effects": SIDE_EFFECT_REPORTS_SHAPE.array(
            SIDE_EFFECT_REPORTS.c.therapy_id == _THERAPY.c.id
        ),
        "general_outcomes": outcomes(OUTCOMES.c.condition_id.is_(None)),
    }
    item = record(
        ConditionTherapy,
        _THERAPY,
        therapy=record(TherapySummary, _THERAPY),
        best_evidence_level=_strongest_outcome(OUTCOMES.c.evidence_level),
        evidence_summary=_evidence_summary(here),
        **{name: correlated(items, _THERAPY) for name, items in of_therapy.items()},
    )
    order = [func.coalesce(best_rank, len(EVIDENCE_RANK)), _THERAPY.c.name, _THERAPY.c.id]
    return Prepared(page_of(item, select(_THERAPY.c.id), _THERAPY.c.id, query, *order))
