"""The test oracle: the read shapes built a second way, through the ORM and pydantic, in
Python, to check the JSON the database writes (app/reads/) against. The app has one
definition of each shape (app/reads/shapes.py); this independent one lives only in the tests,
where a difference between the two is a failing test.

Each `*_where` function runs one query (joins, no N+1) and returns the read shapes that embed
the linked records one level down, in the documented order.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TypeVar

from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from app.errors import NotFound
from app.models import (
    EVIDENCE_RANK,
    Comparison,
    Condition,
    ConditionSource,
    ConditionSummary,
    Direction,
    EvidenceCount,
    EvidenceSummary,
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

Row = TypeVar("Row", bound=SQLModel)


def get_by_slug(session: Session, table: type[Row], slug: str, *, label: str) -> Row:
    row = session.exec(select(table).where(table.slug == slug)).first()  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"No {label} with slug '{slug}'.")
    return row


def _id(row: Any) -> int:
    """A stored row's key (a link's identifier in its URL)."""
    return int(row.id)


def _summary(shape: type[Row], row: Any) -> Row:
    return shape.model_validate(row, from_attributes=True)


def row_fields(row: Any, shape: type[SQLModel]) -> dict[str, Any]:
    """The row's values for the fields of `shape`, to extend with embedded records."""
    return {name: getattr(row, name) for name in shape.model_fields if hasattr(row, name)}


def indications_where(session: Session, *where: Any) -> list[IndicationPublic]:
    statement = (
        select(Indication, Therapy, Condition, Source)
        .join(Therapy, Indication.therapy_id == Therapy.id)  # type: ignore[arg-type]
        .join(Condition, Indication.condition_id == Condition.id)  # type: ignore[arg-type]
        .join(Source, Indication.source_id == Source.id)  # type: ignore[arg-type]
        .where(*where)
        .order_by(Therapy.name, Condition.name, Source.slug, col(Indication.id))
    )
    return [
        IndicationPublic(
            id=_id(link),
            therapy=_summary(TherapySummary, therapy),
            condition=_summary(ConditionSummary, condition),
            source=_summary(SourceSummary, source),
            note=link.note,
            quote=link.quote,
            version=link.version,
            reviewed_on=link.reviewed_on,
        )
        for link, therapy, condition, source in session.exec(statement).all()
    ]


def injectate_uses_where(session: Session, *where: Any) -> list[InjectateUsePublic]:
    condition_alias = aliased(Condition)
    statement = (
        select(InjectateUse, Therapy, Injectate, condition_alias, Source)  # type: ignore[call-overload]
        .join(Therapy, InjectateUse.therapy_id == Therapy.id)
        .join(Injectate, InjectateUse.injectate_id == Injectate.id)
        .outerjoin(condition_alias, InjectateUse.condition_id == condition_alias.id)
        .join(Source, InjectateUse.source_id == Source.id)
        .where(*where)
        .order_by(Therapy.name, Injectate.name, Source.slug, col(InjectateUse.id))
    )
    return [
        InjectateUsePublic(
            id=_id(use),
            therapy=_summary(TherapySummary, therapy),
            injectate=_summary(InjectateSummary, injectate),
            condition=None if condition is None else _summary(ConditionSummary, condition),
            source=_summary(SourceSummary, source),
            concentration_min_pct=use.concentration_min_pct,
            concentration_max_pct=use.concentration_max_pct,
            volume=use.volume,
            depth=use.depth,
            target=use.target,
            sessions=use.sessions,
            interval=use.interval,
            guidance=use.guidance,
            note=use.note,
            version=use.version,
            reviewed_on=use.reviewed_on,
        )
        for use, therapy, injectate, condition, source in session.exec(statement).all()
    ]


def side_effect_reports_where(session: Session, *where: Any) -> list[SideEffectReportPublic]:
    statement = (
        select(SideEffectReport, Therapy, SideEffect, Source)
        .join(Therapy, SideEffectReport.therapy_id == Therapy.id)  # type: ignore[arg-type]
        .join(SideEffect, SideEffectReport.side_effect_id == SideEffect.id)  # type: ignore[arg-type]
        .join(Source, SideEffectReport.source_id == Source.id)  # type: ignore[arg-type]
        .where(*where)
        .order_by(Therapy.name, SideEffect.name, Source.slug, col(SideEffectReport.id))
    )
    return [
        SideEffectReportPublic(
            id=_id(report),
            therapy=_summary(TherapySummary, therapy),
            side_effect=_summary(SideEffectSummary, side_effect),
            source=_summary(SourceSummary, source),
            frequency=report.frequency,
            frequency_note=report.frequency_note,
            quote=report.quote,
            version=report.version,
            reviewed_on=report.reviewed_on,
        )
        for report, therapy, side_effect, source in session.exec(statement).all()
    ]


def facts_where(session: Session, *where: Any) -> list[FactPublic]:
    statement = (
        select(Fact, Source)
        .join(Source, Fact.source_id == Source.id)  # type: ignore[arg-type]
        .where(*where)
        .order_by(Fact.topic, Fact.attribution, Source.slug, col(Fact.id))
    )
    return [
        FactPublic(
            id=_id(fact),
            topic=fact.topic,
            statement=fact.statement,
            attribution=fact.attribution,
            verified=fact.verified,
            quote=fact.quote,
            source=_summary(SourceSummary, source),
            version=fact.version,
            reviewed_on=fact.reviewed_on,
        )
        for fact, source in session.exec(statement).all()
    ]


def outcome_details(rows: Any) -> list[OutcomeDetail]:
    return [
        OutcomeDetail.model_validate(
            row_fields(outcome, OutcomeDetail)
            | {
                "therapy": _summary(TherapySummary, therapy),
                "condition": None if condition is None else _summary(ConditionSummary, condition),
                "source": _summary(SourceSummary, source),
            }
        )
        for outcome, therapy, condition, source in rows
    ]


def outcomes_statement() -> Any:
    """Outcomes with their therapy, condition (if any) and source, ready for more filters."""
    return (
        select(Outcome, Therapy, Condition, Source)
        .join(Therapy, Outcome.therapy_id == Therapy.id)  # type: ignore[arg-type]
        .outerjoin(Condition, Outcome.condition_id == Condition.id)  # type: ignore[arg-type]
        .join(Source, Outcome.source_id == Source.id)  # type: ignore[arg-type]
    )


def outcomes_where(session: Session, *where: Any) -> list[OutcomeDetail]:
    statement = (
        outcomes_statement()
        .where(*where)
        .order_by(Outcome.evidence_rank, Therapy.name, Outcome.slug)
    )
    return outcome_details(session.exec(statement).all())


def sources_of(
    session: Session, link: type[SQLModel], column: Any, owner_id: int | None
) -> list[SourceSummary]:
    statement = (
        select(Source)
        .join(link, link.source_id == Source.id)  # type: ignore[attr-defined]
        .where(column == owner_id)
        .order_by(Source.slug)
    )
    return [_summary(SourceSummary, source) for source in session.exec(statement).all()]


def citing(
    session: Session, table: type[Row], link: type[SQLModel], column: Any, source_id: int | None
) -> list[Any]:
    statement = (
        select(table)
        .join(link, column == table.id)  # type: ignore[attr-defined]
        .where(link.source_id == source_id)  # type: ignore[attr-defined]
        .order_by(table.slug)  # type: ignore[attr-defined]
    )
    return list(session.exec(statement).all())


SOURCE_LINKS: dict[str, tuple[type[SQLModel], type[SQLModel], Any]] = {
    "therapies": (Therapy, TherapySource, TherapySource.therapy_id),
    "conditions": (Condition, ConditionSource, ConditionSource.condition_id),
    "injectates": (Injectate, InjectateSource, InjectateSource.injectate_id),
    "side_effects": (SideEffect, SideEffectSource, SideEffectSource.side_effect_id),
}


# --------------------------------------------------------------------------------------------
# A condition's therapies: the order a clinician weighs outcomes in, and the evidence summary
# --------------------------------------------------------------------------------------------

COMPARISONS = ["between-groups", "within-group", "none"]


def weighed_key(outcome: OutcomeDetail) -> tuple[Any, ...]:
    """Evidence level, then between-group before within-group before none, then the larger
    sample first (unknown last), then slug."""
    return (
        EVIDENCE_RANK[outcome.evidence_level],
        COMPARISONS.index(outcome.comparison),
        outcome.sample_size is None,
        -(outcome.sample_size or 0),
        outcome.slug,
    )


def evidence_summary_of(
    specific: list[OutcomeDetail], general: list[OutcomeDetail]
) -> EvidenceSummary:
    """What the condition's own outcomes (`specific`) and the general ones amount to."""
    counts = Counter((o.evidence_level, o.comparison, o.direction) for o in specific)
    between = [o for o in specific if o.comparison == Comparison.between_groups]

    def with_direction(direction: Direction) -> int:
        return sum(1 for o in between if o.direction == direction)

    if not specific:
        summary = (
            "No evidence about this condition itself: no outcome was reported for it; general "
            f"statements about the therapy, listed apart: {len(general)}."
        )
    else:
        within = sum(1 for o in specific if o.comparison == Comparison.within_group)
        uncompared = sum(1 for o in specific if o.comparison == Comparison.none)
        summary = (
            f"Outcomes for this condition: {len(specific)}; between-group: {len(between)} "
            f"(favour the therapy: {with_direction(Direction.favours_therapy)}, "
            f"no difference: {with_direction(Direction.no_difference)}, "
            f"favour the comparator: {with_direction(Direction.favours_comparator)}, "
            f"unclear: {with_direction(Direction.unclear)}); within-group: {within}; "
            f"no comparison: {uncompared}; general statements about the therapy, listed "
            f"apart: {len(general)}."
        )
    return EvidenceSummary(
        has_condition_specific_evidence=bool(specific),
        condition_specific_outcomes=len(specific),
        between_group_outcomes=len(between),
        general_outcomes=len(general),
        counts=[
            EvidenceCount(evidence_level=level, comparison=comparison, direction=direction, count=n)
            for (level, comparison, direction), n in sorted(
                counts.items(),
                key=lambda item: (
                    EVIDENCE_RANK[item[0][0]],
                    COMPARISONS.index(item[0][1]),
                    list(Direction).index(Direction(item[0][2])),
                ),
            )
        ],
        summary=summary,
    )
