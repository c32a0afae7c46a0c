"""Validate, load and export the knowledge base as one JSON document (`data/seed.json`).

- `validate_document` checks a document with the same models the API uses, then checks what a
  model alone cannot: duplicate slugs, dangling references and duplicate links. Every problem is
  reported, each with its JSON path (`therapies[1].indications[3].condition: unknown condition
  'foo'`), and nothing is written.
- `sync_document` makes the database hold exactly the document, in the caller's transaction:
  records are matched by slug (links by what they connect), unchanged ones are left alone,
  changed ones are updated in place (version + 1), missing ones are removed. Running it twice
  changes nothing the second time. It returns the list of changes, which is also the dry run.
- `export_document` writes the database back as a document in canonical order, so that
  export → seed → export is byte-identical.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import ValidationError
from sqlalchemy import Engine, delete, func, insert
from sqlmodel import Session, SQLModel, col, select

from app.errors import json_path
from app.models import (
    EVIDENCE_RANK,
    AuditAction,
    AuditEntry,
    Condition,
    ConditionBase,
    ConditionSource,
    DatasetState,
    EvidenceLevel,
    Fact,
    FactBase,
    Indication,
    IndicationBase,
    Injectate,
    InjectateBase,
    InjectateSource,
    InjectateUse,
    InjectateUseBase,
    Outcome,
    OutcomeBase,
    SeedDocument,
    SideEffect,
    SideEffectBase,
    SideEffectReport,
    SideEffectReportBase,
    SideEffectSource,
    Source,
    SourceBase,
    Therapy,
    TherapyBase,
    TherapySource,
    utcnow,
)
from app.search.index import TYPE_OF_TABLE, index_is_current, rebuild_index, sync_index
from app.store.version import begin_write, bump_version
from app.writes.audit import append_document_entry
from app.writes.slug_history import RECORD_TYPES, former_slugs, sync_former_slugs

# --------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SeedError(Exception):
    """The document is invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[SeedProblem]):
        super().__init__(f"{len(problems)} problem(s) in the seed document")
        self.problems = problems


class DocumentTooLarge(SeedError):
    """The document breaks a parsing limit (size, nesting depth, number length): it was not
    read at all (`kb` exits 2)."""


# --------------------------------------------------------------------------------------------
# What the document holds, described once
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A field holding a slug of another record: `field` in the document, `column` in the row."""

    field: str
    column: str
    kind: str
    label: str


@dataclass(frozen=True)
class EntitySpec:
    """A top-level record type: its key in the document, its table and its written fields."""

    key: str
    label: str
    table: type[SQLModel]
    base: type[SQLModel]
    refs: tuple[Ref, ...] = ()
    source_link: type[SQLModel] | None = None
    source_link_column: str = ""

    @property
    def fields(self) -> list[str]:
        return list(self.base.model_fields)


@dataclass(frozen=True)
class LinkSpec:
    """A list nested under each therapy; rows are identified by therapy + `key_fields`."""

    key: str
    label: str
    table: type[SQLModel]
    base: type[SQLModel]
    refs: tuple[Ref, ...]
    key_fields: tuple[str, ...]

    @property
    def fields(self) -> list[str]:
        return list(self.base.model_fields)


SOURCE_REF = Ref("source", "source_id", "sources", "source")

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("sources", "source", Source, SourceBase),
    EntitySpec(
        "conditions", "condition", Condition, ConditionBase, (), ConditionSource, "condition_id"
    ),
    EntitySpec(
        "injectates", "injectate", Injectate, InjectateBase, (), InjectateSource, "injectate_id"
    ),
    EntitySpec(
        "side_effects",
        "side effect",
        SideEffect,
        SideEffectBase,
        (),
        SideEffectSource,
        "side_effect_id",
    ),
    EntitySpec("therapies", "therapy", Therapy, TherapyBase, (), TherapySource, "therapy_id"),
    EntitySpec(
        "outcomes",
        "outcome",
        Outcome,
        OutcomeBase,
        (
            Ref("therapy", "therapy_id", "therapies", "therapy"),
            Ref("condition", "condition_id", "conditions", "condition"),
            SOURCE_REF,
        ),
    ),
)
ENTITY_BY_KEY = {spec.key: spec for spec in ENTITIES}

LINKS: tuple[LinkSpec, ...] = (
    LinkSpec(
        "indications",
        "indication",
        Indication,
        IndicationBase,
        (Ref("condition", "condition_id", "conditions", "condition"), SOURCE_REF),
        ("condition", "source"),
    ),
    LinkSpec(
        "injectates",
        "injectate use",
        InjectateUse,
        InjectateUseBase,
        (
            Ref("injectate", "injectate_id", "injectates", "injectate"),
            SOURCE_REF,
            Ref("condition", "condition_id", "conditions", "condition"),
        ),
        ("injectate", "source", "condition"),
    ),
    LinkSpec(
        "side_effects",
        "side-effect report",
        SideEffectReport,
        SideEffectReportBase,
        (Ref("side_effect", "side_effect_id", "side_effects", "side effect"), SOURCE_REF),
        ("side_effect", "source"),
    ),
    LinkSpec("facts", "fact", Fact, FactBase, (SOURCE_REF,), ("topic", "source", "statement")),
)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _key_part(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else repr(value)


def check_references(raw: dict[str, Any]) -> list[SeedProblem]:
    """Problems no single model can see: duplicates and references to missing records.

    Works on the raw document, tolerating malformed parts (the models report those), so that
    one run reports everything.
    """
    problems: list[SeedProblem] = []
    slugs: dict[str, set[str]] = {}
    for spec in ENTITIES:
        first_at: dict[str, int] = {}
        for index, item in _dicts(raw.get(spec.key)):
            slug = item.get("slug")
            if not isinstance(slug, str):
                continue
            if slug in first_at:
                problems.append(
                    SeedProblem(
                        f"{spec.key}[{index}].slug",
                        f"duplicate {spec.label} slug '{slug}'"
                        f" (first at {spec.key}[{first_at[slug]}])",
                    )
                )
            else:
                first_at[slug] = index
        slugs[spec.key] = set(first_at)

    def check(path: str, ref: Ref, value: Any) -> None:
        if isinstance(value, str) and value not in slugs[ref.kind]:
            problems.append(SeedProblem(path, f"unknown {ref.label} '{value}'"))

    for spec in ENTITIES:
        for index, item in _dicts(raw.get(spec.key)):
            here = f"{spec.key}[{index}]"
            for ref in spec.refs:
                check(f"{here}.{ref.field}", ref, item.get(ref.field))
            if spec.source_link is not None and isinstance(item.get("sources"), list):
                for position, slug in enumerate(item["sources"]):
                    check(f"{here}.sources[{position}]", SOURCE_REF, slug)
            if spec.key != "therapies":
                continue
            for link in LINKS:
                seen: dict[tuple[Any, ...], int] = {}
                for position, entry in _dicts(item.get(link.key)):
                    there = f"{here}.{link.key}[{position}]"
                    for ref in link.refs:
                        check(f"{there}.{ref.field}", ref, entry.get(ref.field))
                    key = tuple(_key_part(entry.get(field)) for field in link.key_fields)
                    if key in seen:
                        problems.append(
                            SeedProblem(
                                there,
                                f"duplicate {link.label} (same as {link.key}[{seen[key]}])",
                            )
                        )
                    else:
                        seen[key] = position
    return problems


def validate_document(raw: Any) -> SeedDocument:
    """Return the validated document, or raise SeedError listing every problem."""
    if not isinstance(raw, dict):
        raise SeedError([SeedProblem("$", "the document must be a JSON object")])
    problems: list[SeedProblem] = []
    document: SeedDocument | None = None
    try:
        document = SeedDocument.model_validate(raw)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            problems.append(SeedProblem(json_path(item["loc"]), item["msg"]))
    problems.extend(check_references(raw))
    if problems or document is None:
        raise SeedError(problems)
    return document


DOCUMENT_MAX_BYTES = 512 * 1024 * 1024
"""The default of the DOCUMENT_MAX_BYTES setting."""
MAX_DEPTH = 32
"""Arrays and objects nested deeper than this are refused: the seed document nests five deep
(the document, `injectates`, an injectate, its `components`, a component)."""
MAX_NUMBER_CHARS = 32
"""A number written with more characters than this is refused: no value of the document
needs more than a float's 17 significant digits and its exponent."""

_LONG_NUMBER = re.compile(rb"[-+.eE0-9]{%d,}" % (MAX_NUMBER_CHARS + 1))
_TOKEN = re.compile(
    rb'[ \t\r\n]*(?:(?P<string>"[^"\\]*(?:\\.[^"\\]*)*")|(?P<open>[\[{])|(?P<close>[\]}])'
    rb"|(?P<comma>,)|(?P<colon>:)|(?P<number>[-+.eE0-9]+)|(?P<word>true|false|null))"
)


def read_document(path: Path, *, max_bytes: int = DOCUMENT_MAX_BYTES) -> SeedDocument:
    """Read and validate a seed file; unreadable or malformed JSON is a SeedError too."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentTooLarge([_too_large(size, max_bytes)])
        text = path.read_bytes()
    except OSError as error:
        raise SeedError([SeedProblem("$", f"cannot read {path}: {error.strerror}")]) from error
    return parse_document(text, max_bytes=max_bytes)


def _too_large(size: int, max_bytes: int) -> SeedProblem:
    return SeedProblem(
        "$", f"the document is {size:,} bytes, over the limit of {max_bytes:,} (DOCUMENT_MAX_BYTES)"
    )


def parse_document(text: bytes | str, *, max_bytes: int = DOCUMENT_MAX_BYTES) -> SeedDocument:
    """Parse and validate a document within the limits on its size, nesting depth and number
    length; a breach is a DocumentTooLarge naming where (`therapies[3].sources: nested deeper
    than 32 levels`), and nothing is read further. Parsing is orjson's, which refuses nesting
    beyond 1,024 levels by itself and reads no number exactly past 64 bits: a breach is looked
    for with a tokenizer only when orjson fails, or when a run of number characters longer
    than the limit appears anywhere (even in a string), so a document within the limits is
    parsed at orjson's speed."""
    data = text.encode() if isinstance(text, str) else text
    if len(data) > max_bytes:
        raise DocumentTooLarge([_too_large(len(data), max_bytes)])
    if _LONG_NUMBER.search(data):
        _check_limits(data)
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        _check_limits(data)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise SeedError([SeedProblem("$", f"not UTF-8 text: {bad.reason}")]) from error
        message = f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        raise SeedError([SeedProblem("$", message)]) from error
    depth = _deeper_than(raw, MAX_DEPTH)
    if depth is not None:
        raise DocumentTooLarge([_depth_problem(depth)])
    return validate_document(raw)


def _depth_problem(loc: list[int | str]) -> SeedProblem:
    return SeedProblem(json_path(loc), f"nested deeper than {MAX_DEPTH} levels")


def _deeper_than(raw: Any, limit: int) -> list[int | str] | None:
    """The location of a container nested more than `limit` levels deep, or None."""
    stack: list[tuple[Any, list[int | str]]] = [(raw, [])]
    while stack:
        value, loc = stack.pop()
        if len(loc) >= limit:
            return loc
        if isinstance(value, dict):
            stack.extend(
                (child, [*loc, key])
                for key, child in value.items()
                if isinstance(child, dict | list)
            )
        elif isinstance(value, list):
            stack.extend(
                (child, [*loc, index])
                for index, child in enumerate(value)
                if isinstance(child, dict | list)
            )
    return None


def _check_limits(data: bytes) -> None:
    """Walk the tokens of `data` and raise DocumentTooLarge at the first container nested
    beyond MAX_DEPTH or number longer than MAX_NUMBER_CHARS, with its JSON path. Stops quietly
    at the first thing that is not JSON (the parser reports that)."""
    # One frame per open container: [its location, the key or index of the current value,
    # whether an object waits for a key].
    frames: list[list[Any]] = []
    position, end = 0, len(data)
    while position < end:
        token = _TOKEN.match(data, position)
        if token is None:
            return
        position = token.end()
        kind = token.lastgroup
        top = frames[-1] if frames else None
        if kind == "string" and top is not None and top[2]:
            try:
                top[1] = orjson.loads(token.group(kind))
            except orjson.JSONDecodeError:
                return
            top[2] = False
            continue
        here: list[int | str] = [*top[0], top[1]] if top is not None else []
        if kind == "open":
            if len(frames) >= MAX_DEPTH:
                raise DocumentTooLarge([_depth_problem(here)])
            is_object = token.group(kind) == b"{"
            frames.append([here, None if is_object else 0, is_object])
        elif kind == "close":
            if not frames:
                return
            frames.pop()
        elif kind == "comma" and top is not None:
            if isinstance(top[1], int):
                top[1] += 1
            else:
                top[2] = True
        elif kind == "number" and len(token.group(kind)) > MAX_NUMBER_CHARS:
            length = len(token.group(kind))
            raise DocumentTooLarge(
                [
                    SeedProblem(
                        json_path(here),
                        f"a number of {length:,} characters, over the limit of {MAX_NUMBER_CHARS}",
                    )
                ]
            )


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


Progress = Callable[[int], None]


@dataclass(frozen=True)
class Change:
    action: Literal["add", "change", "remove"]
    kind: str
    key: str

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.key}"


def _values(model: SQLModel, fields: list[str]) -> dict[str, Any]:
    return {field: getattr(model, field) for field in fields}


def _written(item: SQLModel, fields: list[str]) -> dict[str, Any]:
    """The fields of a validated input as the database stores them (nested models as dicts)."""
    return item.model_dump(include=set(fields))


def _stamp(row: Any, values: dict[str, Any], now: dt.datetime) -> None:
    for field, value in values.items():
        setattr(row, field, value)
    row.version = (row.version or 0) + 1
    row.updated_at = now


class _Syncer:
    def __init__(self, session: Session, now: dt.datetime, progress: Progress | None = None):
        self.session = session
        self.now = now
        self.progress: Progress = progress or (lambda _amount: None)
        self.new_record = {"version": 1, "created_at": now, "updated_at": now}
        self.changes: list[Change] = []
        self.ids: dict[str, dict[str, int]] = {}
        self.slugs: dict[str, dict[int, str]] = {}
        self.touched: dict[str, set[str]] = {}
        """Slugs of the records added or changed, per type: what the search index re-reads."""

    def insert(self, table: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        """Add new rows in one executemany (fast for large seeds), in document order: a Core
        insert on the table (the same column types and defaults as the ORM's bulk insert, without
        its per-row bookkeeping; nothing here is in the session's identity map;
        docs/decisions/0010-core-insert-in-seed.md)."""
        if rows:
            self.session.connection().execute(insert(table.__table__), rows)  # type: ignore[attr-defined]

    def note(self, action: Literal["add", "change", "remove"], kind: str, key: str) -> None:
        self.changes.append(Change(action, kind, key))

    def resolve(self, refs: tuple[Ref, ...], item: SQLModel) -> dict[str, int | None]:
        resolved: dict[str, int | None] = {}
        for ref in refs:
            slug = getattr(item, ref.field)
            resolved[ref.column] = None if slug is None else self.ids[ref.kind][slug]
        return resolved

    def upsert_entities(self, spec: EntitySpec, items: list[Any]) -> set[str]:
        """Add or update the records of one type; return the slugs the database has but not the
        document (removed later, once nothing points at them)."""
        existing = {row.slug: row for row in self.session.exec(select(spec.table)).all()}  # type: ignore[attr-defined]
        new_rows: list[dict[str, Any]] = []
        for item in items:
            values = _written(item, spec.fields) | self.resolve(spec.refs, item)
            if spec.table is Outcome:
                values["evidence_rank"] = EVIDENCE_RANK[EvidenceLevel(item.evidence_level)]
            row = existing.get(item.slug)
            if row is None:
                new_rows.append(values | self.new_record)
                self.note("add", spec.label, item.slug)
                self.touched.setdefault(spec.key, set()).add(item.slug)
            elif _values(row, list(values)) != values:
                _stamp(row, values, self.now)
                self.note("change", spec.label, item.slug)
                self.touched.setdefault(spec.key, set()).add(item.slug)
            self.progress(1)
        self.session.flush()
        self.insert(spec.table, new_rows)
        rows = self.session.exec(select(spec.table.id, spec.table.slug)).all()  # type: ignore[attr-defined]
        self.ids[spec.key] = {slug: row_id for row_id, slug in rows}
        self.slugs[spec.key] = dict(rows)
        return set(existing) - {item.slug for item in items}

    def sync_source_links(self, spec: EntitySpec, items: list[Any]) -> None:
        assert spec.source_link is not None
        link, column = spec.source_link, spec.source_link_column
        wanted = {
            (self.ids[spec.key][item.slug], self.ids["sources"][source])
            for item in items
            for source in item.sources
        }
        have = {
            (getattr(row, column), row.source_id)  # type: ignore[attr-defined]
            for row in self.session.exec(select(link)).all()
        }
        for owner_id, source_id in sorted(have - wanted):
            self.session.exec(
                delete(link).where(
                    getattr(link, column) == owner_id,
                    link.source_id == source_id,  # type: ignore[attr-defined]
                )
            )
            self.note_link("remove", spec, owner_id, source_id)
        added = sorted(wanted - have)
        for owner_id, source_id in added:
            self.note_link("add", spec, owner_id, source_id)
        self.insert(link, [{column: owner, "source_id": source} for owner, source in added])

    def note_link(
        self, action: Literal["add", "remove"], spec: EntitySpec, owner_id: int, source_id: int
    ) -> None:
        owner = self.slugs[spec.key].get(owner_id, f"#{owner_id}")
        source = self.slugs["sources"].get(source_id, f"#{source_id}")
        self.note(action, f"{spec.label} source", f"{owner} -> {source}")

    def link_key(self, link: LinkSpec, therapy: str, values: dict[str, Any]) -> tuple[Any, ...]:
        return (therapy, *(_plain(values[field]) for field in link.key_fields))

    def sync_links(self, link: LinkSpec, therapies: list[Any]) -> None:
        wanted: dict[tuple[Any, ...], dict[str, Any]] = {}
        for therapy in therapies:
            for entry in getattr(therapy, link.key):
                values = _written(entry, link.fields) | self.resolve(link.refs, entry)
                values["therapy_id"] = self.ids["therapies"][therapy.slug]
                by_slug = {ref.field: getattr(entry, ref.field) for ref in link.refs}
                wanted[self.link_key(link, therapy.slug, values | by_slug)] = values
        have: dict[tuple[Any, ...], Any] = {}
        for row in self.session.exec(select(link.table)).all():
            by_slug = {
                ref.field: self.slugs[ref.kind].get(getattr(row, ref.column)) for ref in link.refs
            }
            therapy_slug = self.slugs["therapies"].get(row.therapy_id)  # type: ignore[attr-defined]
            have[self.link_key(link, therapy_slug or "", _values(row, link.fields) | by_slug)] = row
        for key in [key for key in have if key not in wanted]:
            self.session.delete(have.pop(key))
            self.note("remove", link.label, _describe(key))
        new_rows: list[dict[str, Any]] = []
        for key, values in wanted.items():
            self.progress(1)
            existing = have.get(key)
            if existing is None:
                new_rows.append(values | self.new_record)
                self.note("add", link.label, _describe(key))
            elif _values(existing, list(values)) != values:
                _stamp(existing, values, self.now)
                self.note("change", link.label, _describe(key))
        self.session.flush()
        self.insert(link.table, new_rows)

    def remove_entities(self, spec: EntitySpec, slugs: set[str]) -> None:
        for slug in sorted(slugs):
            self.session.exec(delete(spec.table).where(spec.table.slug == slug))  # type: ignore[attr-defined]
            self.note("remove", spec.label, slug)


def _plain(value: Any) -> Any:
    """Enum members hash by name; keys compare by the stored value instead."""
    return value.value if isinstance(value, Enum) else value


def _describe(key: tuple[Any, ...]) -> str:
    parts = [str(part) for part in key if part is not None]
    text = " / ".join(parts)
    return text if len(text) <= 120 else text[:117] + "..."


def work_units(document: SeedDocument) -> int:
    """How many steps `sync_document` reports to its progress callback."""
    records = sum(len(getattr(document, spec.key)) for spec in ENTITIES)
    links = sum(len(getattr(therapy, link.key)) for therapy in document.therapies for link in LINKS)
    return records + links


def sync_document(
    session: Session, document: SeedDocument, *, progress: Progress | None = None
) -> list[Change]:
    """Make the database hold exactly `document`, inside the caller's transaction.

    `progress(n)` is called as records and links are processed, `work_units(document)` in all.
    """
    syncer = _Syncer(session, utcnow(), progress)
    removed: dict[str, set[str]] = {}
    for spec in ENTITIES:
        removed[spec.key] = syncer.upsert_entities(spec, getattr(document, spec.key))
    for spec in ENTITIES:
        if spec.source_link is not None:
            syncer.sync_source_links(spec, getattr(document, spec.key))
    for link in LINKS:
        syncer.sync_links(link, document.therapies)
    session.flush()
    for spec in reversed(ENTITIES):
        syncer.remove_entities(spec, removed[spec.key])
    for spec in ENTITIES:
        ids = syncer.ids[spec.key]
        sync_former_slugs(
            session,
            RECORD_TYPES[spec.key],
            {
                former: ids[item.slug]
                for item in getattr(document, spec.key)
                for former in item.former_slugs
            },
        )
    sync_index(
        session,
        changed={
            TYPE_OF_TABLE[spec.table]: [syncer.ids[spec.key][slug] for slug in slugs]
            for spec in ENTITIES
            if (slugs := syncer.touched.get(spec.key))
        },
        removed={
            TYPE_OF_TABLE[spec.table]: [syncer.ids[spec.key][slug] for slug in removed[spec.key]]
            for spec in ENTITIES
            if removed[spec.key]
        },
    )

    state = session.get(DatasetState, 1)
    if syncer.changes or state is None or not state.seeded:
        bump_version(session, syncer.now, seeded=True)
    session.flush()
    return syncer.changes


def load_document(
    engine: Engine,
    document: SeedDocument,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[Change]:
    """Sync the database to `document` in one transaction (rolled back when `dry_run`), and
    remember it as the last seed loaded (its hash and the dataset version it produced)."""
    with Session(engine) as session:
        begin_write(session)
        changes = sync_document(session, document, progress=progress)
        _remember_seed(session, document)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return changes


# --------------------------------------------------------------------------------------------
# Deletions: a document that would remove much of the data is refused unless allowed
# --------------------------------------------------------------------------------------------


class TooManyDeletions(Exception):
    """Loading the document would remove more than the allowed share of the records and links
    the database holds (an empty or truncated file, the wrong file): nothing was written."""

    def __init__(self, removals: list[Change], held: int, max_share: float):
        super().__init__(f"{len(removals)} of {held} records and links would be removed")
        self.removals = removals
        self.held = held
        self.max_share = max_share


def records_held(session: Session) -> int:
    """How many records and links the database holds (what the deletion guard counts)."""
    tables = [spec.table for spec in ENTITIES] + [link.table for link in LINKS]
    return sum(session.exec(select(func.count()).select_from(table)).one() for table in tables)


_COUNTED = {spec.label for spec in ENTITIES} | {link.label for link in LINKS}


def guard_deletions(changes: list[Change], held: int, max_share: float | None) -> None:
    """Raise TooManyDeletions when `changes` remove more than `max_share` of the `held`
    records and links (None: no limit). A record's list of sources is not counted."""
    if max_share is None:
        return
    removals = [c for c in changes if c.action == "remove" and c.kind in _COUNTED]
    if len(removals) > max_share * held:
        raise TooManyDeletions(removals, held, max_share)


# --------------------------------------------------------------------------------------------
# Seeding from a file without undoing curators' writes
# --------------------------------------------------------------------------------------------

SEED_ACTOR = "kb seed"
"""The audit trail's key name for what `kb seed` loaded."""

OnWrites = Literal["fail", "keep", "overwrite"]
"""What `kb seed` does with a changed file when the database holds writes made since the last
seed: refuse (exit 2), keep the database as it is (and say so), or load the file over them."""


@dataclass(frozen=True)
class SeedOutcome:
    changes: list[Change]
    unchanged_file: bool
    """The file is the one last loaded: nothing was compared or written."""
    writes_since: list[AuditEntry]
    """Audited writes (API, `kb import`) made since the last seed, oldest first."""
    loaded: bool


class WritesSinceSeed(Exception):
    """The file changed, and loading it would revert writes made since the last seed."""

    def __init__(self, writes: list[AuditEntry]):
        super().__init__(f"{len(writes)} write(s) since the last seed")
        self.writes = writes


def describe_write(entry: AuditEntry) -> str:
    """One line of the list `kb seed` prints of writes it would revert."""
    what = f"{entry.record_type} {entry.record}"
    if entry.action == AuditAction.import_ and isinstance(entry.after, dict):
        changes = entry.after.get("changes") or []
        what = f"{entry.record} ({len(changes)} change(s))"
    at = entry.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{at} {entry.key_name}: {entry.action} {what} (version {entry.dataset_version})"


def writes_since_seed(session: Session) -> list[AuditEntry]:
    """Audited writes that produced a dataset version after the last seed's."""
    state = session.get(DatasetState, 1)
    after = (state.seeded_version or 0) if state is not None else 0
    statement = (
        select(AuditEntry)
        .where(col(AuditEntry.dataset_version) > after, AuditEntry.key_name != SEED_ACTOR)
        .order_by(col(AuditEntry.id))
    )
    entries = list(session.exec(statement).all())
    for entry in entries:
        session.expunge(entry)  # read after this transaction ends, whatever it does
    return entries


def _remember_seed(session: Session, document: SeedDocument) -> None:
    state = session.get(DatasetState, 1)
    assert state is not None
    state.content_hash = content_hash(document)
    state.seeded_version = state.version
    session.add(state)
    session.flush()


def seed_database(
    engine: Engine,
    document: SeedDocument,
    *,
    name: str,
    on_writes: OnWrites = "fail",
    progress: Progress | None = None,
    max_deletion_share: float | None = None,
) -> SeedOutcome:
    """`kb seed`: load `document` unless that would silently undo curators' work.

    The file last loaded is remembered by its hash: loading it again is a no-op, whatever was
    written since. A changed file is loaded when nothing was written since the last seed (or
    `on_writes="overwrite"`); otherwise it raises WritesSinceSeed (`"fail"`) or leaves the
    database as it is (`"keep"`). A load that changes anything writes an audit entry. A load
    that would remove more than `max_deletion_share` of the records and links raises
    TooManyDeletions, and writes nothing.
    """
    with Session(engine) as session:
        begin_write(session)
        state = session.get(DatasetState, 1)
        writes = writes_since_seed(session)
        if state is not None and state.seeded and state.content_hash == content_hash(document):
            if not index_is_current(session):
                rebuild_index(session)
            session.commit()
            return SeedOutcome([], unchanged_file=True, writes_since=writes, loaded=False)
        if writes and on_writes != "overwrite":
            session.rollback()
            if on_writes == "fail":
                raise WritesSinceSeed(writes)
            return SeedOutcome([], unchanged_file=False, writes_since=writes, loaded=False)
        held = records_held(session)
        changes = sync_document(session, document, progress=progress)
        guard_deletions(changes, held, max_deletion_share)
        _remember_seed(session, document)
        if changes:
            append_document_entry(
                session,
                actor=SEED_ACTOR,
                name=name,
                changes=changes,
                reverted_writes=[describe_write(entry) for entry in writes],
            )
        session.commit()
    return SeedOutcome(changes, unchanged_file=False, writes_since=writes, loaded=True)


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def _dump(model: SQLModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def export_raw(session: Session) -> dict[str, Any]:
    """The database as a seed document (a plain dict), in canonical order."""
    slugs: dict[str, dict[int, str]] = {}
    rows: dict[str, list[Any]] = {}
    for spec in ENTITIES:
        rows[spec.key] = list(session.exec(select(spec.table).order_by(spec.table.slug)).all())  # type: ignore[attr-defined]
        slugs[spec.key] = {row.id: row.slug for row in rows[spec.key]}

    def slug_of(ref: Ref, row: Any) -> str | None:
        value = getattr(row, ref.column)
        return None if value is None else slugs[ref.kind][value]

    def source_lists(spec: EntitySpec) -> dict[int, list[str]]:
        assert spec.source_link is not None
        lists: dict[int, list[str]] = {}
        for link in session.exec(select(spec.source_link)).all():
            owner = getattr(link, spec.source_link_column)
            lists.setdefault(owner, []).append(slugs["sources"][link.source_id])  # type: ignore[attr-defined]
        return {owner: sorted(values) for owner, values in lists.items()}

    def entry(spec: EntitySpec | LinkSpec, row: Any) -> dict[str, Any]:
        data = _dump(spec.base.model_validate(_values(row, spec.fields)))
        for ref in spec.refs:
            slug = slug_of(ref, row)
            if slug is not None:
                data[ref.field] = slug
        return data

    nested: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for link in LINKS:
        per_therapy: dict[int, list[dict[str, Any]]] = {}
        for row in session.exec(select(link.table)).all():
            per_therapy.setdefault(row.therapy_id, []).append(entry(link, row))  # type: ignore[attr-defined]
        for items in per_therapy.values():
            items.sort(key=partial(_sort_key, fields=link.key_fields))
        nested[link.key] = per_therapy

    document: dict[str, Any] = {}
    for spec in ENTITIES:
        lists = source_lists(spec) if spec.source_link is not None else {}
        history = former_slugs(session, RECORD_TYPES[spec.key])
        records = []
        for row in rows[spec.key]:
            data = entry(spec, row)
            if row.id in history:
                data["former_slugs"] = history[row.id]
            if spec.source_link is not None:
                data["sources"] = lists.get(row.id, [])
            if spec.key == "therapies":
                for link in LINKS:
                    data[link.key] = nested[link.key].get(row.id, [])
            records.append(data)
        document[spec.key] = records
    return document


def _sort_key(item: dict[str, Any], fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(item.get(field) or "") for field in fields)


def export_bytes(session: Session) -> bytes:
    return canonical_json(export_raw(session))


def canonical_json(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def content_hash(document: SeedDocument) -> str:
    raw = document.model_dump(mode="json", exclude_none=True)
    for key in RECORD_TYPES:  # no history is the same document as before the field existed
        for item in raw.get(key, []):
            if not item.get("former_slugs"):
                item.pop("former_slugs", None)
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()
