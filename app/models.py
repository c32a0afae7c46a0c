"""Every record of the knowledge base, one family per entity.

Each entity has the shapes the style guide asks for:

- ``XBase``: the fields a curator writes, with their constraints (lengths, ranges, patterns,
  vocabularies). The seed loader and the write API both validate through these.
- ``XCreate``: what a seed document or a POST carries (references to other records by slug).
- ``X`` (``table=True``): the row, with its integer key, ``version`` and UTC timestamps.
- ``XPublic`` / ``XSummary``: what the read API returns; details embed related records one
  level down through ``...Link`` shapes that never nest back.

Links that carry data (a therapy treats a condition, uses an injectate, has a side effect, and
the statements made about it) are full tables, and each cites exactly one source: two sources
saying the same thing are two rows, each keeping its own wording and level of evidence.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from enum import StrEnum
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic import Field as PydanticField
from sqlalchemy import JSON, DateTime, Index, String, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

# --------------------------------------------------------------------------------------------
# The one list shape, shared by every list (app/http/pagination.py fills it)
# --------------------------------------------------------------------------------------------


class PageLinks(BaseModel):
    self: str
    first: str
    last: str
    next: str | None = PydanticField(description="The next page, or null on the last page.")
    prev: str | None = PydanticField(description="The previous page, or null on the first page.")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = PydanticField(description="How many items match, across all pages.")
    limit: int
    offset: int
    links: PageLinks


# --------------------------------------------------------------------------------------------
# Vocabularies and shared field types
# --------------------------------------------------------------------------------------------


class EvidenceLevel(StrEnum):
    """Ordered from strongest to weakest; ``EVIDENCE_RANK`` gives the order."""

    systematic_review = "systematic-review"
    rct = "rct"
    cohort = "cohort"
    case_series = "case-series"
    expert_opinion = "expert-opinion"
    practitioner_claim = "practitioner-claim"


EVIDENCE_RANK: dict[EvidenceLevel, int] = {level: rank for rank, level in enumerate(EvidenceLevel)}
"""0 is the strongest evidence; sort ascending to put the strongest first."""


class Frequency(StrEnum):
    very_common = "very-common"
    common = "common"
    uncommon = "uncommon"
    rare = "rare"
    not_observed = "not-observed"
    unknown = "unknown"


class SourceKind(StrEnum):
    web_page = "web-page"
    journal_article = "journal-article"
    systematic_review = "systematic-review"
    book = "book"
    book_chapter = "book-chapter"
    trial_registry = "trial-registry"
    guideline = "guideline"
    code_set = "code-set"
    other = "other"


class CodeSystem(StrEnum):
    icd_10_cm = "ICD-10-CM"
    icd_10_am = "ICD-10-AM"
    icd_11 = "ICD-11"
    icd_9_cm = "ICD-9-CM"
    snomed_ct = "SNOMED-CT"


class ComponentRole(StrEnum):
    proliferant = "proliferant"
    local_anaesthetic = "local-anaesthetic"
    sclerosant = "sclerosant"
    buffer = "buffer"
    diluent = "diluent"
    other = "other"


class FactTopic(StrEnum):
    history = "history"
    naming = "naming"
    mechanism = "mechanism"
    technique = "technique"
    indications = "indications"
    efficacy = "efficacy"
    safety = "safety"


class Attribution(StrEnum):
    """Who makes a statement: the therapy's proponents, or an independent source."""

    proponent = "proponent"
    independent = "independent"


class Comparison(StrEnum):
    """What an outcome's result compares: the therapy's group with another group, a group
    with its own baseline, or nothing (a claim, a narrative conclusion). In the order a
    clinician weighs them (app/reads/conditions.py `weighed_order`)."""

    between_groups = "between-groups"
    within_group = "within-group"
    none = "none"


class Direction(StrEnum):
    """Which way the result points, as the source reports it."""

    favours_therapy = "favours-therapy"
    no_difference = "no-difference"
    favours_comparator = "favours-comparator"
    improved_uncontrolled = "improved-uncontrolled"
    unclear = "unclear"


class Certainty(StrEnum):
    """GRADE's four levels of certainty, set only where the source itself grades it."""

    high = "high"
    moderate = "moderate"
    low = "low"
    very_low = "very-low"


VOCABULARY = String(40)
"""Vocabulary values are stored as their text, so SQL readers (and Datasette) see 'rct'."""

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Percent = Annotated[float, Field(ge=0, le=100)]


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        key = value.casefold()
        if key in seen:
            raise ValueError(f"duplicate entry {value!r}")
        seen.add(key)
    return values


UniqueNames = Annotated[list[Name], AfterValidator(_unique)]
UniqueSlugs = Annotated[list[Slug], AfterValidator(_unique)]


REVIEWED_ON_DESCRIPTION = (
    "The date this record's statement was last checked against its source; writes set it to "
    "the day of the write unless the body gives one."
)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are stored and returned in UTC, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC timestamp")
        return None if value is None else value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _json_column() -> Any:
    return Field(default_factory=list, sa_type=JSON, nullable=False)


def _range_is_ordered(low: float | None, high: float | None, what: str) -> None:
    if low is not None and high is not None and low > high:
        raise ValueError(f"{what}: minimum {low} is above maximum {high}")


_SCALAR_KINDS: dict[type, dict[str, type]] = {}
"""Per StrictModel subclass: its fields that hold a bool, an int, a float or a date."""


class StrictModel(SQLModel):
    """Input models refuse unknown keys, so a typo in a seed or a request is an error, and
    take dates, booleans and numbers only as themselves: pydantic's lax mode would read
    `0` as 1970-01-01, `0` or `"no"` as false, and `false` or `"12"` as a number. (Its strict
    mode would also refuse dates and vocabulary words written as JSON strings, which is how a
    document or a request writes them.)"""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        kind = StrictModel._scalar_kinds(cls).get(info.field_name or "")
        if kind is None or value is None:
            return value
        if kind is bool and not isinstance(value, bool):
            raise ValueError("must be true or false")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("must be a whole number")
        if kind is float and (
            isinstance(value, bool) or not isinstance(value, int | float | Decimal)
        ):
            raise ValueError("must be a number")
        if kind is dt.date and not isinstance(value, str | dt.date):
            raise ValueError("must be a date written as text, YYYY-MM-DD")
        return value

    @staticmethod
    def _scalar_kinds(model: type[StrictModel]) -> dict[str, type]:
        """The fields of `model` that hold a bool, an int, a float or a date (optional or
        not), with that type; worked out once per model."""
        kinds = _SCALAR_KINDS.get(model)
        if kinds is None:
            kinds = {}
            for name, field in model.model_fields.items():
                annotation: Any = field.annotation
                if get_origin(annotation) in (Union, UnionType):
                    present = [arg for arg in get_args(annotation) if arg is not type(None)]
                    annotation = present[0] if len(present) == 1 else None
                if get_origin(annotation) is Annotated:  # Percent | None keeps its Annotated
                    annotation = get_args(annotation)[0]
                scalars: tuple[type, ...] = (bool, int, float, dt.date)
                for kind in scalars:
                    if annotation is kind or (kind is dt.date and annotation is dt.datetime):
                        kinds[name] = kind
            _SCALAR_KINDS[model] = kinds
        return kinds

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold a NUL character, and no curated text needs one."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain a NUL character")
        return value


class Record(SQLModel):
    """Bookkeeping every stored record carries."""

    version: int = Field(default=1, ge=1)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RecordPublic(SQLModel):
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    reviewed_on: dt.date | None = Field(description=REVIEWED_ON_DESCRIPTION)


# --------------------------------------------------------------------------------------------
# Source
# --------------------------------------------------------------------------------------------

DOI_PATTERN = r"^10\.\d{4,9}/\S+$"
PMID_PATTERN = r"^[1-9]\d{0,8}$"
TRIAL_ID_PATTERN = r"^(NCT\d{8}|ACTRN\d{14})$"
ICD10_PATTERN = re.compile(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?")


class SourceBase(StrictModel):
    slug: Slug = Field(unique=True, index=True)
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    kind: SourceKind = Field(sa_type=VOCABULARY)
    authors: UniqueNames = _json_column()
    publisher: Name | None = None
    year: int | None = Field(default=None, ge=1800, le=2100)
    journal: Name | None = None
    citation: ShortText | None = Field(
        default=None, description="Volume, issue and pages as printed, e.g. '2013;11(3):229-37'."
    )
    url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")] | None = None
    doi: Annotated[str, StringConstraints(max_length=200, pattern=DOI_PATTERN)] | None = None
    pmid: Annotated[str, StringConstraints(pattern=PMID_PATTERN)] | None = None
    trial_registration: Annotated[str, StringConstraints(pattern=TRIAL_ID_PATTERN)] | None = None
    accessed_on: dt.date | None = None
    notes: LongText | None = None
    conflicts_of_interest: LongText | None = Field(
        default=None,
        description="Competing interests of the authors, stated or evident (a proponent's "
        "clinic, a technique's developer), and where that was read.",
    )
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class SourceCreate(SourceBase):
    pass


class Source(SourceBase, Record, table=True):
    __tablename__ = "sources"
    id: int | None = Field(default=None, primary_key=True)


class SourceSummary(SQLModel):
    slug: str
    title: str
    kind: SourceKind
    year: int | None
    url: str | None
    doi: str | None
    pmid: str | None


class SourcePublic(RecordPublic):
    slug: str
    title: str
    kind: SourceKind = Field(sa_type=VOCABULARY)
    authors: list[str]
    publisher: str | None
    year: int | None
    journal: str | None
    citation: str | None
    url: str | None
    doi: str | None
    pmid: str | None
    trial_registration: str | None
    accessed_on: dt.date | None
    notes: str | None
    conflicts_of_interest: str | None


# --------------------------------------------------------------------------------------------
# Condition
# --------------------------------------------------------------------------------------------


class ConditionCode(StrictModel):
    system: CodeSystem
    code: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[0-9A-Z.]+$")]
    title: Name

    @model_validator(mode="after")
    def _code_fits_system(self) -> ConditionCode:
        if self.system in (CodeSystem.icd_10_cm, CodeSystem.icd_10_am):
            if not ICD10_PATTERN.fullmatch(self.code):
                raise ValueError(f"{self.code!r} is not a well-formed {self.system} code")
        return self


def _unique_codes(codes: list[ConditionCode]) -> list[ConditionCode]:
    seen: set[tuple[str, str]] = set()
    for code in codes:
        if (code.system, code.code) in seen:
            raise ValueError(f"duplicate code {code.system} {code.code}")
        seen.add((code.system, code.code))
    return codes


class ConditionBase(StrictModel):
    slug: Slug = Field(unique=True, index=True)
    name: Name
    synonyms: UniqueNames = _json_column()
    body_region: Slug = Field(index=True)
    category: Slug = Field(index=True)
    codes: Annotated[list[ConditionCode], AfterValidator(_unique_codes)] = _json_column()
    description: LongText | None = None
    notes: LongText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class ConditionCreate(ConditionBase):
    sources: UniqueSlugs = Field(default_factory=list)


class Condition(ConditionBase, Record, table=True):
    __tablename__ = "conditions"
    __table_args__ = (Index("ix_conditions_name_id", "name", "id"),)  # the list's default order
    id: int | None = Field(default=None, primary_key=True)


class ConditionSummary(SQLModel):
    slug: str
    name: str
    body_region: str
    category: str


class ConditionPublic(RecordPublic):
    slug: str
    name: str
    synonyms: list[str]
    body_region: str
    category: str
    codes: list[ConditionCode]
    description: str | None
    notes: str | None


# --------------------------------------------------------------------------------------------
# Injectate
# --------------------------------------------------------------------------------------------


class Component(StrictModel):
    substance: Name
    concentration_min_pct: Percent | None = None
    concentration_max_pct: Percent | None = None
    role: ComponentRole

    @model_validator(mode="after")
    def _ordered(self) -> Component:
        _range_is_ordered(self.concentration_min_pct, self.concentration_max_pct, "concentration")
        return self


class InjectateBase(StrictModel):
    slug: Slug = Field(unique=True, index=True)
    name: Name
    # Required: a default would skip the length check (an injectate injects something).
    components: Annotated[list[Component], Field(min_length=1)] = Field(
        sa_type=JSON, nullable=False
    )
    diluent: Name | None = None
    description: LongText | None = None
    notes: LongText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class InjectateCreate(InjectateBase):
    sources: UniqueSlugs = Field(default_factory=list)


class Injectate(InjectateBase, Record, table=True):
    __tablename__ = "injectates"
    __table_args__ = (Index("ix_injectates_name_id", "name", "id"),)  # the list's default order
    id: int | None = Field(default=None, primary_key=True)


class InjectateSummary(SQLModel):
    slug: str
    name: str


class InjectatePublic(RecordPublic):
    slug: str
    name: str
    components: list[Component]
    diluent: str | None
    description: str | None
    notes: str | None


# --------------------------------------------------------------------------------------------
# Side effect
# --------------------------------------------------------------------------------------------


class SideEffectBase(StrictModel):
    slug: Slug = Field(unique=True, index=True)
    name: Name
    description: LongText | None = None
    serious: bool = False
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class SideEffectCreate(SideEffectBase):
    sources: UniqueSlugs = Field(default_factory=list)


class SideEffect(SideEffectBase, Record, table=True):
    __tablename__ = "side_effects"
    __table_args__ = (Index("ix_side_effects_name_id", "name", "id"),)  # the list's default order
    id: int | None = Field(default=None, primary_key=True)


class SideEffectSummary(SQLModel):
    slug: str
    name: str
    serious: bool


class SideEffectPublic(RecordPublic):
    slug: str
    name: str
    description: str | None
    serious: bool


# --------------------------------------------------------------------------------------------
# Therapy and the links it carries
# --------------------------------------------------------------------------------------------


class IndicationBase(StrictModel):
    """The source says the therapy is used for (or treats) the condition."""

    note: ShortText | None = None
    quote: ShortText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class IndicationCreate(IndicationBase):
    condition: Slug
    source: Slug


class Indication(IndicationBase, Record, table=True):
    __tablename__ = "indications"
    __table_args__ = (UniqueConstraint("therapy_id", "condition_id", "source_id"),)
    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int = Field(foreign_key="therapies.id", index=True, ondelete="CASCADE")
    condition_id: int = Field(foreign_key="conditions.id", index=True, ondelete="RESTRICT")
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="RESTRICT")


class InjectateUseBase(StrictModel):
    """How the therapy uses an injectate, as one source describes it (a protocol)."""

    concentration_min_pct: Percent | None = None
    concentration_max_pct: Percent | None = None
    volume: ShortText | None = Field(default=None, description="e.g. '0.5-1 mL per point'")
    depth: ShortText | None = Field(default=None, description="e.g. 'subcutaneous'")
    target: ShortText | None = None
    sessions: ShortText | None = None
    interval: ShortText | None = None
    guidance: ShortText | None = Field(default=None, description="e.g. 'ultrasound', 'palpation'")
    note: ShortText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)

    @model_validator(mode="after")
    def _ordered(self) -> InjectateUseBase:
        _range_is_ordered(self.concentration_min_pct, self.concentration_max_pct, "concentration")
        return self


class InjectateUseCreate(InjectateUseBase):
    injectate: Slug
    source: Slug
    condition: Slug | None = Field(
        default=None, description="Set when the protocol is for one condition."
    )


class InjectateUse(InjectateUseBase, Record, table=True):
    __tablename__ = "injectate_uses"
    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int = Field(foreign_key="therapies.id", index=True, ondelete="CASCADE")
    injectate_id: int = Field(foreign_key="injectates.id", index=True, ondelete="RESTRICT")
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="RESTRICT")
    condition_id: int | None = Field(
        default=None, foreign_key="conditions.id", index=True, ondelete="RESTRICT"
    )


class SideEffectReportBase(StrictModel):
    """How often a source says the side effect occurs with the therapy."""

    frequency: Frequency = Field(sa_type=VOCABULARY)
    frequency_note: ShortText | None = Field(default=None, description="The figure as reported.")
    quote: ShortText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class SideEffectReportCreate(SideEffectReportBase):
    side_effect: Slug
    source: Slug


class SideEffectReport(SideEffectReportBase, Record, table=True):
    __tablename__ = "side_effect_reports"
    __table_args__ = (UniqueConstraint("therapy_id", "side_effect_id", "source_id"),)
    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int = Field(foreign_key="therapies.id", index=True, ondelete="CASCADE")
    side_effect_id: int = Field(foreign_key="side_effects.id", index=True, ondelete="RESTRICT")
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="RESTRICT")


class FactBase(StrictModel):
    """A statement about the therapy (its history, naming, mechanism ...) and who makes it."""

    topic: FactTopic = Field(sa_type=VOCABULARY)
    statement: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    attribution: Attribution = Field(sa_type=VOCABULARY)
    verified: bool = Field(
        default=False, description="True when an independent source confirms the statement."
    )
    quote: ShortText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class FactCreate(FactBase):
    source: Slug


class Fact(FactBase, Record, table=True):
    __tablename__ = "facts"
    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int = Field(foreign_key="therapies.id", index=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="RESTRICT")


class TherapyBase(StrictModel):
    slug: Slug = Field(unique=True, index=True)
    name: Name
    aliases: UniqueNames = _json_column()
    summary: LongText
    mechanism: LongText | None = Field(default=None, description="The proposed mechanism.")
    technique: LongText | None = Field(default=None, description="Depth and target of injections.")
    developed_by: Name | None = None
    developed_in: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="As stated by the source, e.g. '1940s' or '2002'."
    )
    notes: LongText | None = None
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)


class TherapyCreate(TherapyBase):
    sources: UniqueSlugs = Field(default_factory=list)
    indications: list[IndicationCreate] = Field(default_factory=list)
    injectates: list[InjectateUseCreate] = Field(default_factory=list)
    side_effects: list[SideEffectReportCreate] = Field(default_factory=list)
    facts: list[FactCreate] = Field(default_factory=list)


class TherapyWrite(TherapyBase):
    """A therapy as POST and PUT carry it; its links are written as sub-resources."""

    sources: UniqueSlugs = Field(default_factory=list)


class Therapy(TherapyBase, Record, table=True):
    __tablename__ = "therapies"
    __table_args__ = (Index("ix_therapies_name_id", "name", "id"),)  # the list's default order
    id: int | None = Field(default=None, primary_key=True)


class TherapySummary(SQLModel):
    slug: str
    name: str
    aliases: list[str]


class TherapyPublic(RecordPublic):
    slug: str
    name: str
    aliases: list[str]
    summary: str
    mechanism: str | None
    technique: str | None
    developed_by: str | None
    developed_in: str | None
    notes: str | None


# --------------------------------------------------------------------------------------------
# Record-to-source links (what a record's description rests on)
# --------------------------------------------------------------------------------------------


class TherapySource(SQLModel, table=True):
    __tablename__ = "therapy_sources"
    therapy_id: int = Field(foreign_key="therapies.id", primary_key=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="sources.id", primary_key=True, ondelete="RESTRICT")


class ConditionSource(SQLModel, table=True):
    __tablename__ = "condition_sources"
    condition_id: int = Field(foreign_key="conditions.id", primary_key=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="sources.id", primary_key=True, ondelete="RESTRICT")


class InjectateSource(SQLModel, table=True):
    __tablename__ = "injectate_sources"
    injectate_id: int = Field(foreign_key="injectates.id", primary_key=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="sources.id", primary_key=True, ondelete="RESTRICT")


class SideEffectSource(SQLModel, table=True):
    __tablename__ = "side_effect_sources"
    side_effect_id: int = Field(foreign_key="side_effects.id", primary_key=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="sources.id", primary_key=True, ondelete="RESTRICT")


# --------------------------------------------------------------------------------------------
# Outcome
# --------------------------------------------------------------------------------------------


class OutcomeBase(StrictModel):
    slug: Slug = Field(unique=True, index=True)
    measure: Name = Field(description="e.g. 'success rate', 'WOMAC composite change'.")
    finding: LongText = Field(description="The result in one or two plain sentences.")
    value_min: float | None = None
    value_max: float | None = None
    unit: Annotated[str, StringConstraints(max_length=60)] | None = None
    comparator: ShortText | None = None
    comparator_value_min: float | None = None
    comparator_value_max: float | None = None
    follow_up: Annotated[str, StringConstraints(max_length=100)] | None = None
    sample_size: int | None = Field(default=None, ge=1, le=10_000_000)
    evidence_level: EvidenceLevel = Field(index=True, sa_type=VOCABULARY)
    quote: ShortText | None = Field(default=None, description="A short quote or locator.")
    comparison: Comparison = Field(
        default=Comparison.none,
        sa_type=VOCABULARY,
        description="`between-groups` (the therapy's group against the comparator's), "
        "`within-group` (a group against its own baseline) or `none` (a claim, a conclusion).",
    )
    direction: Direction = Field(
        default=Direction.unclear,
        sa_type=VOCABULARY,
        description="Which way the result points, as the source reports it.",
    )
    certainty: Certainty | None = Field(
        default=None,
        sa_type=VOCABULARY,
        description="GRADE certainty, only where the source itself grades this outcome.",
    )
    certainty_reason: ShortText | None = Field(
        default=None, description="Why the source rated the certainty (down) as it did."
    )
    conflict_of_interest: ShortText | None = Field(
        default=None, description="A stated or evident conflict of interest of the authors."
    )
    reviewed_on: dt.date | None = Field(default=None, description=REVIEWED_ON_DESCRIPTION)

    @model_validator(mode="after")
    def _ordered(self) -> OutcomeBase:
        _range_is_ordered(self.value_min, self.value_max, "value")
        _range_is_ordered(self.comparator_value_min, self.comparator_value_max, "comparator value")
        return self


class OutcomeCreate(OutcomeBase):
    therapy: Slug
    condition: Slug | None = None
    source: Slug


class Outcome(OutcomeBase, Record, table=True):
    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_evidence_rank_slug", "evidence_rank", "slug"),)
    id: int | None = Field(default=None, primary_key=True)
    therapy_id: int = Field(foreign_key="therapies.id", index=True, ondelete="RESTRICT")
    condition_id: int | None = Field(
        default=None, foreign_key="conditions.id", index=True, ondelete="RESTRICT"
    )
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="RESTRICT")
    evidence_rank: int = Field(default=0, index=True, description="EVIDENCE_RANK of the level.")


class OutcomeSummary(SQLModel):
    slug: str
    measure: str
    finding: str
    value_min: float | None
    value_max: float | None
    unit: str | None
    evidence_level: EvidenceLevel


class OutcomePublic(RecordPublic):
    slug: str
    measure: str
    finding: str
    value_min: float | None
    value_max: float | None
    unit: str | None
    comparator: str | None
    comparator_value_min: float | None
    comparator_value_max: float | None
    follow_up: str | None
    sample_size: int | None
    evidence_level: EvidenceLevel
    quote: str | None
    comparison: Comparison
    direction: Direction
    certainty: Certainty | None
    certainty_reason: str | None
    conflict_of_interest: str | None


# --------------------------------------------------------------------------------------------
# Dataset bookkeeping
# --------------------------------------------------------------------------------------------


class DatasetState(SQLModel, table=True):
    """One row: the dataset's version, bumped by every change, read by caches and ETags."""

    __tablename__ = "dataset_state"
    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, ge=0)
    seeded: bool = False
    content_hash: str | None = Field(default=None, max_length=64)
    """The hash of the seed document `kb seed` last loaded."""
    seeded_version: int | None = None
    """The dataset version that load produced: audited writes after it are curators' work."""
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RateLimitBucket(SQLModel, table=True):
    """A client's token bucket, shared by every process using the database when
    RATE_LIMIT_SHARED is on (app/store/rate_limits.py). Never part of the API."""

    __tablename__ = "rate_limit_buckets"
    client: str = Field(primary_key=True, max_length=100)
    tokens: float
    updated_at: float
    """Seconds since the epoch by the database's clock (one clock for every host)."""


FormerSlugs = Annotated[
    list[Slug],
    Field(
        default_factory=list,
        description="Slugs the record had before (oldest first): their URLs answer 308 to "
        "its current one. Kept by a rename; written by an export, loaded by a seed or import.",
    ),
]


class SourceSeed(SourceCreate):
    former_slugs: FormerSlugs


class ConditionSeed(ConditionCreate):
    former_slugs: FormerSlugs


class InjectateSeed(InjectateCreate):
    former_slugs: FormerSlugs


class SideEffectSeed(SideEffectCreate):
    former_slugs: FormerSlugs


class TherapySeed(TherapyCreate):
    former_slugs: FormerSlugs


class OutcomeSeed(OutcomeCreate):
    former_slugs: FormerSlugs


class SeedDocument(StrictModel):
    """The whole knowledge base as one JSON document; records refer to each other by slug.
    Each record is its Create body, plus the slugs it had before (`former_slugs`)."""

    sources: list[SourceSeed] = Field(default_factory=list)
    conditions: list[ConditionSeed] = Field(default_factory=list)
    injectates: list[InjectateSeed] = Field(default_factory=list)
    side_effects: list[SideEffectSeed] = Field(default_factory=list)
    therapies: list[TherapySeed] = Field(default_factory=list)
    outcomes: list[OutcomeSeed] = Field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Curation: API keys and the audit trail (app/writes/keys.py, audit.py, service.py)
# --------------------------------------------------------------------------------------------


class Role(StrEnum):
    """What an API key may do; each role may do everything the roles before it may."""

    reader = "reader"
    editor = "editor"
    admin = "admin"


ROLE_RANK: dict[Role, int] = {role: rank for rank, role in enumerate(Role)}

KEY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$"


class ApiKeyCreate(StrictModel):
    name: Annotated[str, StringConstraints(pattern=KEY_NAME_PATTERN)] = Field(
        description="Who holds the key; it signs the audit entries of their writes."
    )
    role: Role


class ApiKey(SQLModel, table=True):
    """A key: only the SHA-256 of its secret is kept; `prefix` (public) finds the row."""

    __tablename__ = "api_keys"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True, index=True)
    role: Role = Field(sa_type=VOCABULARY)
    prefix: str = Field(max_length=16, index=True)
    secret_hash: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class RecordType(StrEnum):
    """What an audit entry and an ETag name: a record type, a link type, or the dataset."""

    source = "source"
    condition = "condition"
    injectate = "injectate"
    side_effect = "side-effect"
    therapy = "therapy"
    outcome = "outcome"
    indication = "indication"
    injectate_use = "injectate-use"
    side_effect_report = "side-effect-report"
    fact = "fact"
    dataset = "dataset"


class AuditAction(StrEnum):
    create = "create"
    update = "update"
    replace_ = "replace"  # `replace` would hide str.replace
    delete = "delete"
    import_ = "import"


class SlugAlias(SQLModel, table=True):
    """A record's former slug: its old URLs answer 308 to the current one
    (app/reads/slug_history.py). Kept by a rename, dropped when a record takes the slug."""

    __tablename__ = "slug_aliases"
    __table_args__ = (UniqueConstraint("record_type", "slug"),)
    id: int | None = Field(default=None, primary_key=True)
    record_type: RecordType = Field(sa_type=VOCABULARY)
    slug: str = Field(max_length=80)
    record_id: int = Field(index=True)


class AuditEntry(SQLModel, table=True):
    """One write: who, when, what, and the record before and after (seed format)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_record", "record_type", "record"),)
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    key_name: str = Field(max_length=80, index=True)
    action: AuditAction = Field(sa_type=VOCABULARY)
    record_type: RecordType = Field(sa_type=VOCABULARY)
    record: str = Field(max_length=200)
    dataset_version: int
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


AUDIT_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "AuditRecord",
    "description": "A record in seed format, as the seed document holds it: the Create schema "
    "of its `record_type` (SourceCreate, ConditionCreate ...; a therapy with its links, a link "
    "with its therapy's slug in `therapy`). For a `dataset` import: how many records were "
    "added, changed and removed, and each change described.",
    "properties": {
        "slug": {"type": "string"},
        "therapy": {"type": "string", "description": "A link's therapy."},
        "add": {"type": "integer", "description": "An import: records added."},
        "change": {"type": "integer", "description": "An import: records changed."},
        "remove": {"type": "integer", "description": "An import: records removed."},
        "changes": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}
AuditRecord = Annotated[dict[str, Any], WithJsonSchema(AUDIT_RECORD_SCHEMA)]
"""Stored as JSON as it was written; typed in the document for generated clients."""


class AuditEntryPublic(SQLModel):
    id: int
    at: dt.datetime
    key_name: str = Field(description="The API key that wrote, or `kb import`.")
    action: AuditAction
    record_type: RecordType
    record: str = Field(description="The record's slug, a link's id, or the imported file.")
    dataset_version: int = Field(description="The dataset version this write produced.")
    before: AuditRecord | None = Field(description="The record in seed format; null if new.")
    after: AuditRecord | None = Field(description="The record in seed format; null if gone.")


# --------------------------------------------------------------------------------------------
# Read shapes that embed related records one level down
# --------------------------------------------------------------------------------------------


class IndicationPublic(SQLModel):
    id: int = Field(description="The link's key: /v1/therapies/{slug}/indications/{id}.")
    therapy: TherapySummary
    condition: ConditionSummary
    source: SourceSummary
    note: str | None
    quote: str | None
    version: int
    reviewed_on: dt.date | None = Field(description=REVIEWED_ON_DESCRIPTION)


class InjectateUsePublic(SQLModel):
    id: int = Field(description="The link's key: /v1/therapies/{slug}/injectate-uses/{id}.")
    therapy: TherapySummary
    injectate: InjectateSummary
    condition: ConditionSummary | None
    source: SourceSummary
    concentration_min_pct: float | None
    concentration_max_pct: float | None
    volume: str | None
    depth: str | None
    target: str | None
    sessions: str | None
    interval: str | None
    guidance: str | None
    note: str | None
    version: int
    reviewed_on: dt.date | None = Field(description=REVIEWED_ON_DESCRIPTION)


class SideEffectReportPublic(SQLModel):
    id: int = Field(description="The link's key: /v1/therapies/{slug}/side-effect-reports/{id}.")
    therapy: TherapySummary
    side_effect: SideEffectSummary
    source: SourceSummary
    frequency: Frequency
    frequency_note: str | None
    quote: str | None
    version: int
    reviewed_on: dt.date | None = Field(description=REVIEWED_ON_DESCRIPTION)


class FactPublic(SQLModel):
    id: int = Field(description="The link's key: /v1/therapies/{slug}/facts/{id}.")
    topic: FactTopic
    statement: str
    attribution: Attribution
    verified: bool
    quote: str | None
    source: SourceSummary
    version: int
    reviewed_on: dt.date | None = Field(description=REVIEWED_ON_DESCRIPTION)


class OutcomeDetail(OutcomePublic):
    therapy: TherapySummary
    condition: ConditionSummary | None
    source: SourceSummary


class TherapyDetail(TherapyPublic):
    indications: list[IndicationPublic]
    injectates: list[InjectateUsePublic]
    side_effects: list[SideEffectReportPublic]
    facts: list[FactPublic]
    outcomes: list[OutcomeDetail]
    sources: list[SourceSummary]


class ConditionDetail(ConditionPublic):
    therapies: list[TherapySummary]
    indications: list[IndicationPublic]
    outcomes: list[OutcomeDetail]
    sources: list[SourceSummary]


class InjectateDetail(InjectatePublic):
    therapies: list[TherapySummary]
    uses: list[InjectateUsePublic]
    sources: list[SourceSummary]


class SideEffectDetail(SideEffectPublic):
    therapies: list[TherapySummary]
    reports: list[SideEffectReportPublic]
    sources: list[SourceSummary]


class SourceCitations(SQLModel):
    """Every record that cites a source."""

    therapies: list[TherapySummary]
    conditions: list[ConditionSummary]
    injectates: list[InjectateSummary]
    side_effects: list[SideEffectSummary]
    outcomes: list[OutcomeSummary]
    indications: list[IndicationPublic]
    injectate_uses: list[InjectateUsePublic]
    side_effect_reports: list[SideEffectReportPublic]
    facts: list[FactPublic]


class SourceDetail(SourcePublic):
    cited_by: SourceCitations


class EvidenceCount(SQLModel):
    evidence_level: EvidenceLevel
    comparison: Comparison
    direction: Direction
    count: int


class EvidenceSummary(SQLModel):
    """What kind of evidence exists for the therapy in this condition, before what it says."""

    has_condition_specific_evidence: bool = Field(
        description="False when no outcome was reported for this condition itself: only "
        "general statements about the therapy (if any) exist."
    )
    condition_specific_outcomes: int = Field(description="Outcomes for this condition.")
    between_group_outcomes: int = Field(
        description="Of those, how many compare the therapy's group with another group."
    )
    general_outcomes: int = Field(description="Outcomes stated for no particular condition.")
    counts: list[EvidenceCount] = Field(
        description="The condition's own outcomes counted by evidence level, comparison and "
        "direction: strongest evidence first, then between-group before within-group."
    )
    summary: str = Field(description="The same in one plain sentence.")


class ConditionTherapy(SQLModel):
    """One therapy for a condition: what it injects, what it achieved, what it risks."""

    therapy: TherapySummary
    best_evidence_level: EvidenceLevel | None = Field(
        description="The strongest evidence level among the outcomes for this condition "
        "(outcomes stated for no particular condition do not count); null when there are none."
    )
    indications: list[IndicationPublic]
    injectates: list[InjectateUsePublic]
    outcomes: list[OutcomeDetail] = Field(
        description="Outcomes reported for this condition only, in the order a clinician "
        "weighs them: evidence level, then between-group before within-group before none, then "
        "larger samples first. Statements about the therapy in general are `general_outcomes`."
    )
    side_effects: list[SideEffectReportPublic]
    general_outcomes: list[OutcomeDetail] = Field(
        description="The therapy's outcomes stated for no particular condition (general claims "
        "and reviews), in the same order; never evidence about this condition."
    )
    evidence_summary: EvidenceSummary


# --------------------------------------------------------------------------------------------
# Search index (maintained by app/search/index.py; see its docstring for the design)
# --------------------------------------------------------------------------------------------


class SearchType(StrEnum):
    """The record types search covers, in the order they win ties."""

    condition = "condition"
    therapy = "therapy"
    injectate = "injectate"
    side_effect = "side-effect"
    outcome = "outcome"
    source = "source"


class MatchField(StrEnum):
    """Which field of a record a search matched."""

    name = "name"
    synonym = "synonym"
    alias = "alias"
    code = "code"
    code_title = "code-title"
    """The title of one of a condition's codes ("Cervicalgia" for M54.2), matched like a
    synonym."""
    record_title = "title"  # `title` would hide str.title
    identifier = "identifier"
    measure = "measure"
    component = "component"
    author = "author"
    finding = "finding"
    summary = "summary"
    description = "description"


def _search_key(length: int) -> Any:
    """Index keys compare byte by byte on both engines (SQLite BINARY, PostgreSQL "C"), so a
    range `key >= 'epicond' AND key < 'epicone'` is a prefix search that an ordinary btree
    answers, whatever the database's default collation."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


SEARCH_NORM_LENGTH = 255
SEARCH_WORD_LENGTH = 40


class SearchTerm(SQLModel, table=True):
    """One searchable text of a record (its name, a synonym, a code ...) and its normal form."""

    __tablename__ = "search_terms"
    __table_args__ = (
        Index("ix_search_terms_type_norm", "record_type", "norm"),
        Index("ix_search_terms_record", "record_type", "record_id"),
    )
    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
        description="Assigned by app/search/index.py under the index lock, not by a sequence.",
    )
    record_type: SearchType = Field(sa_type=VOCABULARY)
    record_id: int
    slug: str = Field(max_length=80)
    field: MatchField = Field(sa_type=VOCABULARY)
    text: str
    norm: str = Field(sa_type=_search_key(SEARCH_NORM_LENGTH))
    weight: int


class SearchToken(SQLModel, table=True):
    """A word of a term. The key orders a word's terms best first (`rank`: fewer words, then
    field weight, then length; app/search/index.py `term_rank`), so a bounded scan of one word
    returns its best terms."""

    __tablename__ = "search_tokens"
    __table_args__ = (
        Index("ix_search_tokens_term", "term_id", "token"),
        {"sqlite_with_rowid": False},
    )
    record_type: SearchType = Field(sa_type=VOCABULARY, primary_key=True)
    token: str = Field(sa_type=_search_key(SEARCH_WORD_LENGTH), primary_key=True)
    rank: int = Field(primary_key=True)
    term_id: int = Field(foreign_key="search_terms.id", primary_key=True, ondelete="CASCADE")


class SearchWord(SQLModel, table=True):
    """Every word ever indexed: what a typed prefix expands to."""

    __tablename__ = "search_words"
    __table_args__ = ({"sqlite_with_rowid": False},)
    word: str = Field(sa_type=_search_key(SEARCH_WORD_LENGTH), primary_key=True)


class SearchTrigram(SQLModel, table=True):
    """The trigrams of each word, keyed by trigram and word length, for typo tolerance."""

    __tablename__ = "search_trigrams"
    __table_args__ = ({"sqlite_with_rowid": False},)
    trigram: str = Field(sa_type=_search_key(12), primary_key=True)
    length: int = Field(primary_key=True)
    word: str = Field(sa_type=_search_key(SEARCH_WORD_LENGTH), primary_key=True)


class SearchIndexState(SQLModel, table=True):
    """One row: the index format the rows were built with; another format means rebuild."""

    __tablename__ = "search_index_state"
    id: int = Field(default=1, primary_key=True)
    format: int = Field(default=0, ge=0)


# --------------------------------------------------------------------------------------------
# Search, facets and body regions: read shapes
# --------------------------------------------------------------------------------------------

DID_YOU_MEAN_DESCRIPTION = (
    "Spelling corrections of `q`: `q` with each word that matched only through typo "
    "tolerance replaced by the word it matched (at most one or two edits a word); otherwise "
    "empty. Never another record's name."
)
FACETS_DESCRIPTION = (
    "Counts over every matching record (not only this page), one list per facet asked for "
    "with `facets=`; each list is `{value, count}`, evidence levels strongest first, others "
    "by count then value."
)


class SearchMatch(SQLModel):
    field: MatchField = Field(description="The field that matched: name, synonym, code ...")
    text: str = Field(description="The text that matched, as stored.")
    matched_words: list[str] = Field(
        default_factory=list,
        description="The words of `q` this text matched (as typed, normalized).",
    )
    unmatched_words: list[str] = Field(
        default_factory=list,
        description="The words of `q` it did not match: empty for a full match; a partial "
        "match (no record matched every word) lists the rest here.",
    )


class RelatedHit(SQLModel):
    """A record that shares words with `q` without matching it: not a spelling correction
    and not the record asked for."""

    type: SearchType
    slug: str
    title: str
    shared_words: list[str] = Field(description="The words of `q` it holds.")
    why: str = Field(description="Why it is listed, in words.")


RELATED_DESCRIPTION = (
    "When nothing matched `q`: records that share some of its words (each with why), which "
    "are other records, not corrections of `q`; otherwise empty."
)
MESSAGE_DESCRIPTION = (
    "With `q`: a sentence saying how the items match (every word, some words only, or nothing "
    "in the knowledge base); null without `q` or when every item matches every word."
)


class ConditionListItem(ConditionPublic):
    match: SearchMatch | None = Field(
        default=None, description="With `q`: the name, synonym or code that matched best."
    )


class FacetCount(SQLModel):
    value: str
    count: int


class ConditionListPage(Page[ConditionListItem]):
    did_you_mean: list[str] = Field(default_factory=list, description=DID_YOU_MEAN_DESCRIPTION)
    facets: dict[str, list[FacetCount]] = Field(
        default_factory=dict, description=FACETS_DESCRIPTION
    )
    related: list[RelatedHit] = Field(default_factory=list, description=RELATED_DESCRIPTION)
    message: str | None = Field(default=None, description=MESSAGE_DESCRIPTION)


class ConditionTherapiesPage(Page[ConditionTherapy]):
    condition: ConditionSummary


class OutcomeListPage(Page[OutcomeDetail]):
    facets: dict[str, list[FacetCount]] = Field(
        default_factory=dict, description=FACETS_DESCRIPTION
    )


class SearchHit(SQLModel):
    type: SearchType
    slug: str
    title: str
    snippet: str = Field(
        description="A short extract of the matched text, HTML-escaped, with the matched "
        "words in <mark>…</mark>."
    )
    url: str = Field(description="The record in this API.")
    match: SearchMatch


class SearchPage(Page[SearchHit]):
    did_you_mean: list[str] = Field(default_factory=list, description=DID_YOU_MEAN_DESCRIPTION)
    related: list[RelatedHit] = Field(default_factory=list, description=RELATED_DESCRIPTION)
    message: str | None = Field(default=None, description=MESSAGE_DESCRIPTION)


class BodyRegionPublic(SQLModel):
    slug: str
    condition_count: int = Field(description="How many conditions belong to the region.")
    conditions_url: str = Field(description="The region's conditions.")


# Each list's page under a name of its own: generated clients see `TherapyListPage`, not
# `Page_TherapyPublic_`.


class TherapyListPage(Page[TherapyPublic]):
    pass


class InjectateListPage(Page[InjectatePublic]):
    pass


class SideEffectListPage(Page[SideEffectPublic]):
    pass


class SourceListPage(Page[SourcePublic]):
    pass


class BodyRegionListPage(Page[BodyRegionPublic]):
    pass


class AuditEntryPage(Page[AuditEntryPublic]):
    pass


# `view=summary` of a condition's therapies (app/http/fields.py projects the full answer onto
# these): the condition and the therapy are said once, not inside every nested item, and each
# nested item keeps what a list of therapies shows.


class SourceRef(SQLModel):
    slug: str = Field(description="The source: /v1/sources/{slug}.")


class IndicationBrief(SQLModel):
    id: int
    source: SourceRef


class InjectateUseBrief(SQLModel):
    id: int
    injectate: InjectateSummary
    concentration_min_pct: float | None
    concentration_max_pct: float | None
    source: SourceRef


class OutcomeBrief(SQLModel):
    slug: str
    measure: str
    evidence_level: EvidenceLevel
    comparison: Comparison
    direction: Direction
    sample_size: int | None
    follow_up: str | None
    source: SourceRef


class SideEffectReportBrief(SQLModel):
    id: int
    side_effect: SideEffectSummary
    frequency: Frequency
    source: SourceRef


class ConditionTherapyBrief(SQLModel):
    """One therapy for a condition, in brief: what the full view says, without the condition
    and the therapy repeated inside each nested item or the quotes and notes."""

    therapy: TherapySummary
    best_evidence_level: EvidenceLevel | None
    indications: list[IndicationBrief]
    injectates: list[InjectateUseBrief]
    outcomes: list[OutcomeBrief]
    side_effects: list[SideEffectReportBrief]
    general_outcomes: list[OutcomeBrief]
    evidence_summary: EvidenceSummary


class ConditionTherapiesBriefPage(Page[ConditionTherapyBrief]):
    condition: ConditionSummary


# The public change feed (/v1/changes): what changed, from the audit trail, without who.


class Change(SQLModel):
    type: RecordType = Field(description="What changed: a record type, a link type, or `dataset`.")
    slug: str | None = Field(
        description="The record's slug (for a link: its therapy's); null for a `dataset` "
        "import, which may change many records (fetch /v1/dataset again)."
    )
    id: int | None = Field(description="A link's id; null for a record with a slug.")
    action: AuditAction
    version: int = Field(description="The dataset version this change produced.")
    time: dt.datetime


class ChangePage(Page[Change]):
    dataset_version: int = Field(
        description="The dataset version now: the `since` to ask with next time."
    )
