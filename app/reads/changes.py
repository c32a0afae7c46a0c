"""The public change feed: the audit trail's entries after a dataset version, oldest first,
as what changed and when, never who (app/routes/changes.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.models import AuditAction, AuditEntry, RecordType
from app.reads.pages import fetch_page

LINK_TYPES = {
    RecordType.indication,
    RecordType.injectate_use,
    RecordType.side_effect_report,
    RecordType.fact,
}


def _change(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the feed shows it: its record's slug (a link's therapy's), a link's id."""
    slug: str | None = entry.record
    link_id = None
    if entry.record_type in LINK_TYPES:
        record = entry.after or entry.before or {}
        slug, link_id = record.get("therapy"), int(entry.record)
    elif entry.record_type is RecordType.dataset or entry.action is AuditAction.import_:
        slug = None  # a file's name, not a record
    return {
        "type": entry.record_type,
        "slug": slug,
        "id": link_id,
        "action": entry.action,
        "version": entry.dataset_version,
        "time": entry.at,
    }


def change_page(
    session: Session, *, since: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The changes that produced a version after `since`, oldest first, and how many."""
    statement = select(AuditEntry).where(col(AuditEntry.dataset_version) > since)
    rows, total = fetch_page(
        session,
        statement,
        order_by=[col(AuditEntry.dataset_version).asc(), col(AuditEntry.id).asc()],
        limit=limit,
        offset=offset,
    )
    return [_change(row) for row in rows], total
