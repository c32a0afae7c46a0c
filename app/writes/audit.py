"""The audit trail: one entry per write, appended in the write's own transaction.

An entry says which key wrote (its name), when, what it did (create, update, replace, delete,
import), to which record (type and slug, or a link's id), the dataset version it produced, and
the record before and after, in seed format. Entries are never changed or removed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from app.models import AuditAction, AuditEntry, DatasetState, RecordType, utcnow


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


def append_document_entry(
    session: Session,
    *,
    actor: str,
    name: str,
    changes: Sequence[Any],
    **more: Any,
) -> AuditEntry:
    """One entry for a whole document loaded (`kb seed`, `kb import`) in the caller's
    transaction: the file's name, the dataset version the load produced, and how many
    records and links it added, changed and removed, with each change listed."""
    state = session.get(DatasetState, 1)
    assert state is not None, "a load that changed something has bumped the version"
    counts = dict.fromkeys(("add", "change", "remove"), 0)
    for change in changes:
        counts[change.action] += 1
    return append_entry(
        session,
        key_name=actor,
        action=AuditAction.import_,
        record_type=RecordType.dataset,
        record=name,
        dataset_version=state.version,
        at=utcnow(),
        before=None,
        after={**counts, "changes": [str(change) for change in changes], **more},
    )
