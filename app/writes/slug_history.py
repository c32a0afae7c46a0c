"""A record's former slugs, kept when it is renamed, so links to its old URLs keep working
(they answer 308 to the current one: app/reads/slug_history.py).

A slug a record holds now always wins over an alias: a record created or renamed to a slug
that was another's former slug takes it, and the alias goes. Deleting a record forgets its
aliases. Links (indications ...) have ids, not slugs: they have no history.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.models import RecordType, SlugAlias


def claim_slug(session: Session, record_type: RecordType, slug: str) -> None:
    """`slug` is a record's own now: no longer anyone's former slug."""
    session.exec(
        delete(SlugAlias).where(
            col(SlugAlias.record_type) == record_type, col(SlugAlias.slug) == slug
        )
    )


def keep_former_slug(
    session: Session, record_type: RecordType, *, old: str, new: str, record_id: int
) -> None:
    """Record `old` as a former slug of the record now called `new`."""
    if old == new:
        return
    claim_slug(session, record_type, new)
    session.add(SlugAlias(record_type=record_type, slug=old, record_id=record_id))
    session.flush()


def forget_record(session: Session, record_type: RecordType, record_id: int) -> None:
    session.exec(
        delete(SlugAlias).where(
            col(SlugAlias.record_type) == record_type, col(SlugAlias.record_id) == record_id
        )
    )


RECORD_TYPES = {
    "sources": RecordType.source,
    "conditions": RecordType.condition,
    "injectates": RecordType.injectate,
    "side_effects": RecordType.side_effect,
    "therapies": RecordType.therapy,
    "outcomes": RecordType.outcome,
}
"""A seed document's list and the record type it holds."""


def sync_former_slugs(session: Session, record_type: RecordType, wanted: dict[str, int]) -> None:
    """Make `record_type`'s former slugs exactly `wanted` (former slug -> record id), as a
    seed or import load does; a slug some record holds now is never kept as an alias."""
    held = {
        slug: (alias_id, record_id)
        for alias_id, slug, record_id in session.exec(
            select(SlugAlias.id, SlugAlias.slug, SlugAlias.record_id).where(
                col(SlugAlias.record_type) == record_type
            )
        )
    }
    stale = [
        alias_id for slug, (alias_id, record_id) in held.items() if wanted.get(slug) != record_id
    ]
    if stale:
        session.exec(delete(SlugAlias).where(col(SlugAlias.id).in_(stale)))
    for slug, record_id in wanted.items():
        if slug not in held or held[slug][1] != record_id:
            session.add(SlugAlias(record_type=record_type, slug=slug, record_id=record_id))
    session.flush()


def former_slugs(session: Session, record_type: RecordType) -> dict[int, list[str]]:
    """Each record's former slugs (sorted), by its id: what an export writes."""
    found: dict[int, list[str]] = {}
    rows = session.exec(
        select(SlugAlias.record_id, SlugAlias.slug)
        .where(col(SlugAlias.record_type) == record_type)
        .order_by(col(SlugAlias.slug))
    )
    for record_id, slug in rows:
        found.setdefault(record_id, []).append(slug)
    return found
