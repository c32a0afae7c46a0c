"""The audit trail: one entry per write, appended in the write's own transaction.

An entry says which key wrote (its name), when, what it did (create, update, replace, delete,
import), to which record (type and slug, or a link's id), the dataset version it produced, and
the record before and after, in seed format. Entries are never changed or removed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from app.models import AuditAction, AuditEntry, RecordType


def append_entry(
    session: Session,
    *,
    key_name: str,
    action: AuditAction,
    record_type: RecordType,
    record: str,
    dataset_version: int,
    at: dt.datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Add one entry to the caller's transaction."""
    entry = AuditEntry.model_validate(
        {
            "at": at,
            "key_name": key_name,
            "action": action,
            "record_type": record_type,
            "record": record,
            "dataset_version": dataset_version,
            "before": before,
            "after": after,
        }
    )
    session.add(entry)
    session.flush()
    return entry


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
