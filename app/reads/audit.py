"""The audit trail, read: a page of entries, newest first, by record, key, action and time.
(Entries are appended by the writes themselves: app/writes/audit.py.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from app.models import AuditAction, AuditEntry, RecordType
from app.reads.pages import fetch_page


def audit_statement(
    *,
    record_type: RecordType | None = None,
    record: str | None = None,
    key_name: str | None = None,
    action: AuditAction | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Any:
    """Entries matching every filter given; `since` is inclusive, `until` exclusive."""
    statement = select(AuditEntry)
    if record_type is not None:
        statement = statement.where(AuditEntry.record_type == record_type)
    if record is not None:
        statement = statement.where(AuditEntry.record == record)
    if key_name is not None:
        statement = statement.where(AuditEntry.key_name == key_name)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if since is not None:
        statement = statement.where(col(AuditEntry.at) >= since)
    if until is not None:
        statement = statement.where(col(AuditEntry.at) < until)
    return statement


def audit_page(
    session: Session, *, limit: int, offset: int, **filters: Any
) -> tuple[list[Any], int]:
    """A page of the entries matching `filters` (as `audit_statement` takes them), newest
    first, and how many match."""
    statement = audit_statement(**filters)
    return fetch_page(
        session, statement, order_by=[col(AuditEntry.id).desc()], limit=limit, offset=offset
    )
