"""The shapes several answers embed, each defined once: its fields (from its read model), its
joins and its order.

A therapy's detail, a condition's detail and a source's citations all list indications; each
takes them from `INDICATIONS_SHAPE` here, filtered by its own key, so the joins and the order
of an indication are written in one place. The resource modules beside this one build their
answers from these shapes (app/reads/conditions.py, therapies.py ...), and the routes send
what the database wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import FromClause, Select, String, Table, bindparam, cast, or_, select

from app.models import (
    Condition,
    ConditionSource,
    ConditionSummary,
    Fact,
    FactPublic,
    Indication,
    IndicationPublic,
    Injectate,
    InjectateSource,
    InjectateSummary,
    InjectateUse,
    InjectateUsePublic,
    Outcome,
    OutcomeDetail,
    OutcomeSummary,
    SideEffect,
    SideEffectReport,
    SideEffectReportPublic,
    SideEffectSource,
    SideEffectSummary,
    Source,
    SourceSummary,
    Therapy,
    TherapySource,
    TherapySummary,
)
from app.reads.sql_json import array, correlated, nullable, page_of, record, response_body
from app.store.engine import Prepared


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


THERAPIES = _table(Therapy)
CONDITIONS = _table(Condition)
SOURCES = _table(Source)
INJECTATES = _table(Injectate)
SIDE_EFFECTS = _table(SideEffect)
INDICATIONS = _table(Indication)
INJECTATE_USES = _table(InjectateUse)
SIDE_EFFECT_REPORTS = _table(SideEffectReport)
FACTS = _table(Fact)
OUTCOMES = _table(Outcome)
THERAPY_SOURCES = _table(TherapySource)
CONDITION_SOURCES = _table(ConditionSource)
INJECTATE_SOURCES = _table(InjectateSource)
SIDE_EFFECT_SOURCES = _table(SideEffectSource)


@dataclass(frozen=True)
class Shape:
    """A list shape: `item` (a JSON object) for each row of `rows` (its joins), in `order`."""

    item: Any
    rows: Select[Any]
    order: tuple[Any, ...]

    def array(self, *where: Any) -> Any:
        """The items whose rows match `where`, as a JSON array in the shape's order."""
        return array(self.item, self.rows.where(*where), *self.order)

    def within(self, outer: FromClause, *where: Any) -> Any:
        """`array(*where)` for each row of `outer`, a table of the enclosing statement."""
        return correlated(self.array(*where), outer)


def detail(model: type[BaseModel], table: FromClause, **nested: Any) -> Prepared:
    """One record's detail, found by its slug (bound as `key`): its `id`, `slug` and `version`
    (its ETag) and its `body`, the model as JSON (`nested`: the values of the fields that are
    not columns of `table`, arrays made with `Shape.within(table, ...)` and the like)."""
    body = record(model, table, **nested)
    return Prepared(
        select(table.c.id, table.c.slug, table.c.version, response_body(body).label("body")).where(
            table.c.slug == bindparam("key")
        )
    )


def record_page(
    model: type[BaseModel], table: Table, matching: Select[Any], *order: Any
) -> Prepared:
    """A page of `model` objects, one per row of `table` whose id `matching` selects, in
    `order`, with the count (`items`, `total`; bound `limit` and `offset`)."""
    return Prepared(page_of(record(model, table), select(table.c.id), table.c.id, matching, *order))


def reviewed_before(table: FromClause) -> Any:
    """Rows of `table` last checked against their source before the date bound as
    `reviewed_before` (an ISO date, as text), or never: what is due for review. Compared as
    ISO text, which orders as the dates do, so the value binds the same way on both engines
    and through both the driver's cursor and SQLAlchemy (facets)."""
    column = table.c.reviewed_on
    bound = bindparam("reviewed_before", type_=String)
    return or_(column.is_(None), cast(column, String) < bound)


# --------------------------------------------------------------------------------------------
# Summaries: a record one level down
# --------------------------------------------------------------------------------------------


def source_summary(sources: FromClause = SOURCES) -> Any:
    return record(SourceSummary, sources)


def therapy_summary(therapies: FromClause = THERAPIES) -> Any:
    return record(TherapySummary, therapies)


def condition_summary(conditions: FromClause = CONDITIONS) -> Any:
    return record(ConditionSummary, conditions)


def sources_of(link: Table, owner: Any) -> Any:
    """SourceSummary items of a record through its source link table (`owner`: the link's
    column equal to the record's id, e.g. `THERAPY_SOURCES.c.therapy_id == outer.c.id`), by
    slug."""
    rows = select(SOURCES.c.id).join(link, link.c.source_id == SOURCES.c.id).where(owner)
    return array(source_summary(), rows, SOURCES.c.slug)


def therapies_through(link: Table, *where: Any) -> Any:
    """TherapySummary items of the therapies a link table names (each once), by name."""
    rows = (
        select(THERAPIES.c.id)
        .join(link, link.c.therapy_id == THERAPIES.c.id)
        .where(*where)
        .group_by(THERAPIES.c.id)  # a join, not IN: a subquery here would not correlate
    )
    return array(therapy_summary(), rows, THERAPIES.c.name, THERAPIES.c.slug)


def linked_to_therapy(link: Table, column: Any) -> Select[Any]:
    """`column` of the `link` rows of the therapy whose slug is bound as `therapy`."""
    return (
        select(column)
        .join(THERAPIES, link.c.therapy_id == THERAPIES.c.id)
        .where(THERAPIES.c.slug == bindparam("therapy"))
    )


def citing(table: Table, summary: type[BaseModel], link: Table, owner: Any, *where: Any) -> Any:
    """Summaries of the records of `table` whose source link (`owner`: the link's column naming
    them) matches `where`, by slug."""
    rows = select(table.c.id).join(link, owner == table.c.id).where(*where)
    return array(record(summary, table), rows, table.c.slug)


def outcome_summaries(*where: Any) -> Any:
    return array(
        record(OutcomeSummary, OUTCOMES), select(OUTCOMES.c.id).where(*where), OUTCOMES.c.slug
    )


# --------------------------------------------------------------------------------------------
# Links and outcomes, with the records they connect
# --------------------------------------------------------------------------------------------


def _therapy_link(
    link: Table, model: type[BaseModel], field: str, other: Table, summary: type[BaseModel]
) -> Shape:
    """A link between a therapy and one other record (`field`: a condition, a side effect),
    as one source states it: by therapy name, the other record's name, source, id."""
    t, s = THERAPIES, SOURCES
    rows = (
        select(link.c.id)
        .join(t, link.c.therapy_id == t.c.id)
        .join(other, link.c[f"{field}_id"] == other.c.id)
        .join(s, link.c.source_id == s.c.id)
    )
    item = record(
        model,
        link,
        therapy=therapy_summary(),
        source=source_summary(),
        **{field: record(summary, other)},
    )
    return Shape(item, rows, (t.c.name, other.c.name, s.c.slug, link.c.id))


def _injectate_uses() -> Shape:
    u, t, j, s = INJECTATE_USES, THERAPIES, INJECTATES, SOURCES
    c = CONDITIONS.alias("use_condition")
    rows = (
        select(u.c.id)
        .join(t, u.c.therapy_id == t.c.id)
        .join(j, u.c.injectate_id == j.c.id)
        .outerjoin(c, u.c.condition_id == c.c.id)
        .join(s, u.c.source_id == s.c.id)
    )
    item = record(
        InjectateUsePublic,
        u,
        therapy=therapy_summary(),
        injectate=record(InjectateSummary, j),
        condition=nullable(c.c.id, condition_summary(c)),
        source=source_summary(),
    )
    return Shape(item, rows, (t.c.name, j.c.name, s.c.slug, u.c.id))


def _facts() -> Shape:
    f, s = FACTS, SOURCES
    rows = select(f.c.id).join(s, f.c.source_id == s.c.id)
    item = record(FactPublic, f, source=source_summary())
    return Shape(item, rows, (f.c.topic, f.c.attribution, s.c.slug, f.c.id))


def _outcomes() -> Shape:
    o, t, c, s = OUTCOMES, THERAPIES, CONDITIONS, SOURCES
    rows = (
        select(o.c.id)
        .join(t, o.c.therapy_id == t.c.id)
        .outerjoin(c, o.c.condition_id == c.c.id)
        .join(s, o.c.source_id == s.c.id)
    )
    item = record(
        OutcomeDetail,
        o,
        therapy=therapy_summary(),
        condition=nullable(c.c.id, condition_summary()),
        source=source_summary(),
    )
    return Shape(item, rows, (o.c.evidence_rank, t.c.name, o.c.slug))


INDICATIONS_SHAPE = _therapy_link(
    INDICATIONS, IndicationPublic, "condition", CONDITIONS, ConditionSummary
)
INJECTATE_USES_SHAPE = _injectate_uses()
SIDE_EFFECT_REPORTS_SHAPE = _therapy_link(
    SIDE_EFFECT_REPORTS, SideEffectReportPublic, "side_effect", SIDE_EFFECTS, SideEffectSummary
)
FACTS_SHAPE = _facts()
LINK_SHAPES: dict[str, tuple[Table, Shape]] = {
    "indication": (INDICATIONS, INDICATIONS_SHAPE),
    "injectate use": (INJECTATE_USES, INJECTATE_USES_SHAPE),
    "side-effect report": (SIDE_EFFECT_REPORTS, SIDE_EFFECT_REPORTS_SHAPE),
    "fact": (FACTS, FACTS_SHAPE),
}
"""Each link's table and shape, by its label (app/writes/service.py `Kind.label`)."""
OUTCOMES_SHAPE = _outcomes()
"""OutcomeDetail items, strongest evidence first (a condition's therapies order them their own
way: app/reads/conditions.py)."""
