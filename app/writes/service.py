"""Writes: create, change and delete any record or link, validated as the seed is.

One set of functions serves every type, driven by the specs the seed loader uses (`ENTITIES`
and `LINKS` in app/writes/seed.py): the same input models, the same references, the same rules for
duplicates. A write runs in one transaction that

1. takes the writers' lock (`begin_write`), so writes apply one after another on either engine;
2. finds the record (404) and checks `If-Match` against its ETag (428, 412; app/writes/etags.py);
3. validates the new state (422 naming the field), resolves references (422 naming the field),
   refuses a taken slug or a duplicate link (409), and a delete of a cited record (409, naming
   who cites it);
4. changes the row only if its version is still the one checked (`UPDATE ... WHERE id = :id AND
   version = :version`, 412 when no row matches), bumping `version` and `updated_at`, and
   setting `reviewed_on` to today unless the body gives another date;
5. re-indexes search, bumps the dataset version (caches and ETags move), appends the audit
   entry (before and after in seed format), and commits.

A write that would change nothing (a PATCH to the current values) commits nothing: the version,
the ETag and the audit trail stay as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from app.errors import Conflict, InvalidParam, InvalidRequest, NotFound, PreconditionFailed
from app.models import (
    EVIDENCE_RANK,
    ApiKey,
    AuditAction,
    Condition,
    ConditionCreate,
    EvidenceLevel,
    Fact,
    FactCreate,
    Indication,
    IndicationCreate,
    Injectate,
    InjectateCreate,
    InjectateUse,
    InjectateUseCreate,
    Outcome,
    OutcomeCreate,
    RecordType,
    SeedDocument,
    SideEffect,
    SideEffectCreate,
    SideEffectReport,
    SideEffectReportCreate,
    Source,
    SourceCreate,
    Therapy,
    TherapyWrite,
    utcnow,
)
from app.search.index import index_record, unindex_record
from app.store.version import begin_write, bump_version
from app.writes.audit import append_document_entry, append_entry
from app.writes.etags import check_if_match, record_etag
from app.writes.seed import (
    ENTITIES,
    ENTITY_BY_KEY,
    LINKS,
    SOURCE_REF,
    Change,
    EntitySpec,
    LinkSpec,
    Ref,
    guard_deletions,
    records_held,
    sync_document,
)
from app.writes.slug_history import claim_slug, forget_record, keep_former_slug

# --------------------------------------------------------------------------------------------
# What can be written, described once from the seed's specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A record or link type as the write API sees it."""

    record_type: RecordType
    label: str
    table: type[SQLModel]
    base: type[SQLModel]
    body: type[SQLModel]
    """What POST and PUT carry, and what a PATCH must leave valid."""
    refs: tuple[Ref, ...]
    document_key: str
    source_link: type[SQLModel] | None = None
    source_link_column: str = ""
    key_fields: tuple[str, ...] = ()
    """Links only: two links of one therapy with the same values here are duplicates."""

    @property
    def is_link(self) -> bool:
        return bool(self.key_fields)

    @property
    def fields(self) -> list[str]:
        return list(self.base.model_fields)


_TYPES: dict[type[SQLModel], tuple[RecordType, type[SQLModel]]] = {
    Source: (RecordType.source, SourceCreate),
    Condition: (RecordType.condition, ConditionCreate),
    Injectate: (RecordType.injectate, InjectateCreate),
    SideEffect: (RecordType.side_effect, SideEffectCreate),
    Therapy: (RecordType.therapy, TherapyWrite),
    Outcome: (RecordType.outcome, OutcomeCreate),
    Indication: (RecordType.indication, IndicationCreate),
    InjectateUse: (RecordType.injectate_use, InjectateUseCreate),
    SideEffectReport: (RecordType.side_effect_report, SideEffectReportCreate),
    Fact: (RecordType.fact, FactCreate),
}


def _kind(spec: EntitySpec | LinkSpec, **more: Any) -> Kind:
    record_type, body = _TYPES[spec.table]
    return Kind(
        record_type=record_type,
        label=spec.label,
        table=spec.table,
        base=spec.base,
        body=body,
        refs=spec.refs,
        document_key=spec.key,
        **more,
    )


KINDS: dict[RecordType, Kind] = {
    kind.record_type: kind
    for kind in [
        *(
            _kind(
                spec,
                source_link=spec.source_link,
                source_link_column=spec.source_link_column,
            )
            for spec in ENTITIES
        ),
        *(_kind(spec, key_fields=spec.key_fields) for spec in LINKS),
    ]
}

SOURCE = KINDS[RecordType.source]
CONDITION = KINDS[RecordType.condition]
INJECTATE = KINDS[RecordType.injectate]
SIDE_EFFECT = KINDS[RecordType.side_effect]
THERAPY = KINDS[RecordType.therapy]
OUTCOME = KINDS[RecordType.outcome]
INDICATION = KINDS[RecordType.indication]
INJECTATE_USE = KINDS[RecordType.injectate_use]
SIDE_EFFECT_REPORT = KINDS[RecordType.side_effect_report]
FACT = KINDS[RecordType.fact]


@dataclass(frozen=True)
class Written:
    """What a committed write leaves: the record's key and ETag, and the dataset version."""

    record: str
    etag: str
    dataset_version: int | None
    """None when the write changed nothing and committed nothing."""


# --------------------------------------------------------------------------------------------
# The transaction
# --------------------------------------------------------------------------------------------


def _commit(
    session: Session,
    kind: Kind,
    record: str,
    *,
    action: AuditAction,
    actor: str,
    now: dt.datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    etag: str,
) -> Written:
    version = bump_version(session, now)
    append_entry(
        session,
        key_name=actor,
        action=action,
        record_type=kind.record_type,
        record=record,
        dataset_version=version,
        at=now,
        before=before,
        after=after,
    )
    try:
        session.commit()
    except IntegrityError as error:  # a constraint the checks above did not foresee
        session.rollback()
        raise Conflict(f"The {kind.label} conflicts with the stored data.") from error
    return Written(record=record, etag=etag, dataset_version=version)


def _commit_row(
    session: Session,
    kind: Kind,
    row: Any,
    therapy: Therapy | None,
    action: AuditAction,
    actor: ApiKey,
    now: dt.datetime,
    *,
    before: dict[str, Any] | None,
) -> Written:
    """`_commit` for a row created or changed: its key, its new state and its ETag."""
    after = _audit_record(session, kind, row, therapy)
    return _commit(
        session,
        kind,
        _key(kind, row),
        action=action,
        actor=actor.name,
        now=now,
        before=before,
        after=after,
        etag=etag_of(kind, row),
    )


# --------------------------------------------------------------------------------------------
# Records as documents
# --------------------------------------------------------------------------------------------


def _slug(session: Session, ref: Ref, row_id: int) -> str:
    table: Any = ENTITY_BY_KEY[ref.kind].table
    return str(session.exec(select(table.slug).where(table.id == row_id)).one())


def _source_slugs(session: Session, kind: Kind, owner_id: int) -> list[str]:
    link: Any = kind.source_link
    statement = (
        select(Source.slug)
        .join(link, link.source_id == Source.id)
        .where(getattr(link, kind.source_link_column) == owner_id)
        .order_by(col(Source.slug))
    )
    return list(session.exec(statement).all())


def document_entry(session: Session, kind: Kind, row: Any) -> dict[str, Any]:
    """The record as a seed document (and a POST or PUT body) carries it."""
    values = {field: getattr(row, field) for field in kind.fields}
    data = kind.base.model_validate(values).model_dump(mode="json", exclude_none=True)
    for ref in kind.refs:
        value = getattr(row, ref.column)
        if value is not None:
            data[ref.field] = _slug(session, ref, value)
    if kind.source_link is not None:
        data["sources"] = _source_slugs(session, kind, row.id)
    return data


def _links_of(session: Session, therapy_id: int) -> dict[str, list[dict[str, Any]]]:
    links: dict[str, list[dict[str, Any]]] = {}
    for spec in LINKS:
        kind = KINDS[_TYPES[spec.table][0]]
        table: Any = kind.table
        rows = session.exec(
            select(table).where(table.therapy_id == therapy_id).order_by(table.id)
        ).all()
        links[spec.key] = [{"id": row.id} | document_entry(session, kind, row) for row in rows]
    return links


def _audit_record(
    session: Session, kind: Kind, row: Any, therapy: Therapy | None, *, with_links: bool = False
) -> dict[str, Any]:
    data = document_entry(session, kind, row)
    if therapy is not None:
        data = {"therapy": therapy.slug} | data
    if with_links:
        data |= _links_of(session, row.id)
    return data


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def validated(model: type[SQLModel], data: Any) -> Any:
    """`model.model_validate(data)`, or a 422 naming each invalid field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        params = [
            InvalidParam(
                name="".join(
                    f"[{part}]" if isinstance(part, int) else (f".{part}" if index else str(part))
                    for index, part in enumerate(item["loc"])
                )
                or "body",
                reason=item["msg"],
                location="body",
            )
            for item in error.errors(include_url=False)
        ]
        names = ", ".join(sorted({param.name for param in params}))
        raise InvalidRequest(f"Invalid request: {names}.", invalid_params=params) from error


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, `null` removes a member, the rest replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _resolve(
    session: Session, ref: Ref, slug: str, name: str, problems: list[InvalidParam]
) -> int | None:
    table: Any = ENTITY_BY_KEY[ref.kind].table
    found = session.exec(select(table.id).where(table.slug == slug)).first()
    if found is None:
        problems.append(
            InvalidParam(name=name, reason=f"unknown {ref.label} '{slug}'", location="body")
        )
    return found


def _row_values(
    session: Session, kind: Kind, body: Any, *, therapy_id: int | None
) -> tuple[dict[str, Any], list[int] | None]:
    """The row's columns for a validated body (references resolved to ids) and, for records
    that list sources, the source ids; 422 naming every unknown reference."""
    values = body.model_dump(include=set(kind.fields))
    problems: list[InvalidParam] = []
    for ref in kind.refs:
        slug = getattr(body, ref.field)
        values[ref.column] = (
            None if slug is None else _resolve(session, ref, slug, ref.field, problems)
        )
    source_ids: list[int] | None = None
    if kind.source_link is not None:
        found = [
            _resolve(session, SOURCE_REF, slug, f"sources[{index}]", problems)
            for index, slug in enumerate(body.sources)
        ]
        source_ids = [source_id for source_id in found if source_id is not None]
    if problems:
        raise InvalidRequest(
            "Unknown reference(s): " + ", ".join(problem.reason for problem in problems) + ".",
            invalid_params=problems,
        )
    if kind.table is Outcome:
        values["evidence_rank"] = EVIDENCE_RANK[EvidenceLevel(body.evidence_level)]
    if therapy_id is not None:
        values["therapy_id"] = therapy_id
    return values, source_ids


def _check_unique(
    session: Session,
    kind: Kind,
    values: dict[str, Any],
    therapy: Therapy | None,
    row_id: int | None,
) -> None:
    """409 for a slug another record has, or a link its therapy already has."""
    table: Any = kind.table
    others = [table.id != row_id] if row_id is not None else []
    if therapy is None:
        slug = values["slug"]
        if session.exec(select(table.id).where(table.slug == slug, *others)).first() is not None:
            raise Conflict(
                f"A {kind.label} with slug '{slug}' already exists.",
                invalid_params=[InvalidParam(name="slug", reason="already taken", location="body")],
            )
        return
    columns = {ref.field: ref.column for ref in kind.refs}
    same = [table.therapy_id == therapy.id, *others]
    for field in kind.key_fields:
        column = getattr(table, columns.get(field, field))
        value = values[columns.get(field, field)]
        same.append(column.is_(None) if value is None else column == value)
    duplicate = session.exec(select(table.id).where(*same)).first()
    if duplicate is not None:
        raise Conflict(
            f"Therapy '{therapy.slug}' already has this {kind.label} (#{duplicate}): the same "
            + ", ".join(kind.key_fields)
            + "."
        )


CITED_BY_LIMIT = 20


def citations(session: Session, kind: Kind, row: Any) -> list[str]:
    """Every record or link that refers to `row` and would stop it being deleted."""
    found: list[str] = []
    if kind.is_link:
        return found  # nothing refers to a link
    for spec in ENTITIES:
        table: Any = spec.table
        for ref in spec.refs:
            if ref.kind == kind.document_key:
                slugs = session.exec(
                    select(table.slug)
                    .where(getattr(table, ref.column) == row.id)
                    .order_by(table.slug)
                ).all()
                found += [f"{spec.label} '{slug}'" for slug in slugs]
        if kind.document_key == "sources" and spec.source_link is not None:
            link: Any = spec.source_link
            slugs = session.exec(
                select(table.slug)
                .join(link, getattr(link, spec.source_link_column) == table.id)
                .where(link.source_id == row.id)
                .order_by(table.slug)
            ).all()
            found += [f"{spec.label} '{slug}' (its sources)" for slug in slugs]
    for link_spec in LINKS:
        table = link_spec.table
        for ref in link_spec.refs:
            if ref.kind == kind.document_key:
                pairs = session.exec(
                    select(table.id, Therapy.slug)
                    .join(Therapy, Therapy.id == table.therapy_id)
                    .where(getattr(table, ref.column) == row.id)
                    .order_by(table.id)
                ).all()
                found += [
                    f"{link_spec.label} #{link_id} of therapy '{slug}'" for link_id, slug in pairs
                ]
    return found


# --------------------------------------------------------------------------------------------
# Finding what a request names
# --------------------------------------------------------------------------------------------


def _therapy(session: Session, slug: str) -> Therapy:
    therapy = session.exec(select(Therapy).where(Therapy.slug == slug)).first()
    if therapy is None:
        raise NotFound(f"No therapy with slug '{slug}'.")
    return therapy


def find_link(session: Session, kind: Kind, therapy_slug: str, link_id: int) -> tuple[Therapy, Any]:
    """The therapy and its link `link_id`; 404 if either is missing."""
    therapy = _therapy(session, therapy_slug)
    table: Any = kind.table
    row = session.exec(
        select(table).where(table.id == link_id, table.therapy_id == therapy.id)
    ).first()
    if row is None:
        raise NotFound(f"Therapy '{therapy_slug}' has no {kind.label} #{link_id}.")
    return therapy, row


def _find(
    session: Session, kind: Kind, record: str | int, therapy_slug: str | None
) -> tuple[Therapy | None, Any]:
    if kind.is_link:
        assert therapy_slug is not None
        return find_link(session, kind, therapy_slug, int(record))
    table: Any = kind.table
    row = session.exec(select(table).where(table.slug == record)).first()
    if row is None:
        raise NotFound(f"No {kind.label} with slug '{record}'.")
    return None, row


def _key(kind: Kind, row: Any) -> str:
    return str(row.id) if kind.is_link else str(row.slug)


def etag_of(kind: Kind, row: Any) -> str:
    """The record's strong ETag (see app/writes/etags.py)."""
    return record_etag(kind.record_type, _key(kind, row), row.version)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _what(kind: Kind, row: Any, therapy: Therapy | None) -> str:
    if therapy is not None:
        return f"{kind.label} #{row.id} of therapy '{therapy.slug}'"
    return f"the {kind.label} '{row.slug}'"


# --------------------------------------------------------------------------------------------
# Create, update or replace, delete
# --------------------------------------------------------------------------------------------


def _sync_sources(
    session: Session, kind: Kind, owner_id: int, wanted: list[int], have: list[int]
) -> None:
    link: Any = kind.source_link
    owner = getattr(link, kind.source_link_column)
    gone = set(have) - set(wanted)
    if gone:
        session.exec(delete(link).where(owner == owner_id, link.source_id.in_(sorted(gone))))
    for source_id in sorted(set(wanted) - set(have)):
        session.add(link(**{kind.source_link_column: owner_id, "source_id": source_id}))
    session.flush()


def _source_ids(session: Session, kind: Kind, owner_id: int) -> list[int]:
    link: Any = kind.source_link
    return list(
        session.exec(
            select(link.source_id).where(getattr(link, kind.source_link_column) == owner_id)
        )
    )


def create_record(
    session: Session,
    kind: Kind,
    body: SQLModel,
    *,
    actor: ApiKey,
    therapy_slug: str | None = None,
) -> Written:
    """Add a record (or a link to the therapy `therapy_slug`) at version 1."""
    begin_write(session)
    now = utcnow()
    therapy = _therapy(session, therapy_slug) if therapy_slug is not None else None
    values, source_ids = _row_values(
        session, kind, body, therapy_id=None if therapy is None else therapy.id
    )
    _check_unique(session, kind, values, therapy, None)
    if values.get("reviewed_on") is None:  # a new statement is checked as it is written
        values["reviewed_on"] = now.date()
    # The body was validated by its model; the row takes its values as the seed loader does.
    row: Any = kind.table(**values, version=1, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    if source_ids is not None:
        _sync_sources(session, kind, row.id, source_ids, [])
    if not kind.is_link:
        index_record(session, row)
        claim_slug(session, kind.record_type, row.slug)
    return _commit_row(session, kind, row, therapy, AuditAction.create, actor, now, before=None)


def update_record(
    session: Session,
    kind: Kind,
    record: str | int,
    *,
    if_match: str | None,
    actor: ApiKey,
    patch: dict[str, Any] | None = None,
    replacement: SQLModel | None = None,
    therapy_slug: str | None = None,
) -> Written:
    """Apply a merge `patch` (PATCH) or a whole `replacement` (PUT) to the version `If-Match`
    names; the version goes up by one."""
    begin_write(session)
    now = utcnow()
    therapy, row = _find(session, kind, record, therapy_slug)
    current = etag_of(kind, row)
    check_if_match(if_match, current, what=_what(kind, row, therapy))
    entry = document_entry(session, kind, row)
    body = validated(kind.body, merge_patch(entry, patch)) if replacement is None else replacement
    values, source_ids = _row_values(
        session, kind, body, therapy_id=None if therapy is None else therapy.id
    )
    _check_unique(session, kind, values, therapy, row.id)
    had_sources = _source_ids(session, kind, row.id) if source_ids is not None else None
    # A review date the body sets (other than the stored one) is a curator's check; any other
    # change of the record is checked as it is written, today.
    given = values.pop("reviewed_on", None)
    checked = given is not None and given != row.reviewed_on
    unchanged = {field: getattr(row, field) for field in values} == values and (
        source_ids is None or set(source_ids) == set(had_sources or [])
    )
    values["reviewed_on"] = given if checked else now.date()
    if unchanged and not checked:
        key = _key(kind, row)
        session.rollback()
        return Written(record=key, etag=current, dataset_version=None)
    table: Any = kind.table
    old_slug = None if kind.is_link else row.slug
    changed = session.exec(
        update(table)
        .where(table.id == row.id, table.version == row.version)
        .values(**values, version=row.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise PreconditionFailed(
            _capital(f"{_what(kind, row, therapy)} changed while this write ran; ")
            + "nothing was written."
        )
    if source_ids is not None:
        _sync_sources(session, kind, row.id, source_ids, had_sources or [])
    session.refresh(row)
    if not kind.is_link:
        index_record(session, row)
        assert old_slug is not None
        keep_former_slug(session, kind.record_type, old=old_slug, new=row.slug, record_id=row.id)
    before = {"therapy": therapy.slug} | entry if therapy is not None else entry
    action = AuditAction.update if replacement is None else AuditAction.replace_
    return _commit_row(session, kind, row, therapy, action, actor, now, before=before)


def delete_record(
    session: Session,
    kind: Kind,
    record: str | int,
    *,
    if_match: str | None,
    actor: ApiKey,
    therapy_slug: str | None = None,
) -> Written:
    """Delete the version `If-Match` names; 409 naming every record that still cites it.

    A therapy takes its links (indications, injectate uses, side-effect reports, facts) with
    it; its audit entry keeps them in `before`."""
    begin_write(session)
    now = utcnow()
    therapy, row = _find(session, kind, record, therapy_slug)
    current = etag_of(kind, row)
    what = _what(kind, row, therapy)
    check_if_match(if_match, current, what=what)
    cited = citations(session, kind, row)
    if cited:
        shown = ", ".join(cited[:CITED_BY_LIMIT])
        more = f" and {len(cited) - CITED_BY_LIMIT} more" if len(cited) > CITED_BY_LIMIT else ""
        raise Conflict(
            _capital(f"{what} is cited by {len(cited)} record(s): {shown}{more}. ")
            + "Change or delete those first; nothing was deleted."
        )
    before = _audit_record(session, kind, row, therapy, with_links=kind is THERAPY)
    if not kind.is_link:
        unindex_record(session, row)
        forget_record(session, kind.record_type, row.id)
    table: Any = kind.table
    deleted = session.exec(
        delete(table)
        .where(table.id == row.id, table.version == row.version)
        .execution_options(synchronize_session=False)
    )
    if deleted.rowcount != 1:
        raise PreconditionFailed(
            _capital(f"{what} changed while this write ran; nothing was deleted.")
        )
    key = _key(kind, row)
    session.expunge(row)
    return _commit(
        session,
        kind,
        key,
        action=AuditAction.delete,
        actor=actor.name,
        now=now,
        before=before,
        after=None,
        etag=current,
    )


# --------------------------------------------------------------------------------------------
# Import: a whole document, in one transaction, audited
# --------------------------------------------------------------------------------------------

IMPORT_ACTOR = "kb import"


def import_document(
    engine: Engine,
    document: SeedDocument,
    *,
    name: str,
    dry_run: bool = False,
    max_deletion_share: float | None = None,
) -> list[Change]:
    """Make the database hold exactly `document` (`sync_document`), with one audit entry that
    lists the changes, in one transaction; roll it back when `dry_run`. Removing more than
    `max_deletion_share` of the records and links raises TooManyDeletions (a dry run too)."""
    with Session(engine) as session:
        begin_write(session)
        held = records_held(session)
        changes = sync_document(session, document)
        guard_deletions(changes, held, max_deletion_share)
        if dry_run:
            session.rollback()
            return changes
        if changes:
            append_document_entry(
                session,
                actor=IMPORT_ACTOR,
                name=name,
                changes=changes,
            )
        session.commit()
    return changes
