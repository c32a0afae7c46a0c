"""Where a former slug lives now: a renamed record's old URLs answer 308 to its current one.

`current_slug` is the one question, for any front that serves records by slug (the API's
404 path, app/http/problems.py; HTML pages can ask it the same way). The aliases are kept by
the writes (app/writes/slug_history.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from app.models import RecordType, SlugAlias
from app.reads.shapes import CONDITIONS, INJECTATES, OUTCOMES, SIDE_EFFECTS, SOURCES, THERAPIES

COLLECTIONS: dict[str, RecordType] = {
    "therapies": RecordType.therapy,
    "conditions": RecordType.condition,
    "injectates": RecordType.injectate,
    "side-effects": RecordType.side_effect,
    "outcomes": RecordType.outcome,
    "sources": RecordType.source,
}
"""A collection's path segment and the record type it holds."""

TABLES_BY_TYPE = {
    RecordType.therapy: THERAPIES,
    RecordType.condition: CONDITIONS,
    RecordType.injectate: INJECTATES,
    RecordType.side_effect: SIDE_EFFECTS,
    RecordType.outcome: OUTCOMES,
    RecordType.source: SOURCES,
}


def current_slug(connection: Connection | Session, record_type: RecordType, slug: str) -> Any:
    """The slug the record once called `slug` has now, or None when no record had it."""
    table = TABLES_BY_TYPE.get(record_type)
    if table is None:
        return None
    aliases = SlugAlias.__table__  # type: ignore[attr-defined]
    statement = (
        select(table.c.slug)
        .join(aliases, aliases.c.record_id == table.c.id)
        .where(aliases.c.record_type == bindparam("type"), aliases.c.slug == bindparam("slug"))
    )
    return connection.execute(statement, {"type": record_type.value, "slug": slug}).scalar()


def moved_path(connection: Connection | Session, path: str) -> str | None:
    """`/v1/<collection>/<former slug>[/...]`, or a page's `/<collection>/<former slug>[/...]`,
    with the current slug; None when no record had that slug."""
    parts = path.split("/")
    at = 2 if len(parts) > 2 and parts[1] == "v1" else 1  # where the collection is
    if len(parts) < at + 2 or parts[at] not in COLLECTIONS:
        return None
    found = current_slug(connection, COLLECTIONS[parts[at]], parts[at + 1])
    if found is None:
        return None
    return "/".join([*parts[: at + 1], found, *parts[at + 2 :]])
