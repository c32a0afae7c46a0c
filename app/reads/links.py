"""One link of a therapy (an indication, injectate use, side-effect report or fact) by its id,
in the shape the therapy's detail lists it, written by the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, bindparam
from sqlmodel import Session

from app.errors import NotFound
from app.reads.shapes import LINK_SHAPES, THERAPIES, Shape
from app.reads.sql_json import response_body
from app.store.engine import Prepared


def _link_statement(table: Table, shape: Shape) -> Prepared:
    """The link `:id` of the therapy `:slug`: its id and version (its ETag) and its `body`."""
    owner = THERAPIES.alias("link_owner")
    statement = shape.rows.with_only_columns(
        table.c.id,
        table.c.version,
        response_body(shape.item).label("body"),
        maintain_column_froms=True,
    )
    return Prepared(
        statement.join(owner, table.c.therapy_id == owner.c.id).where(
            table.c.id == bindparam("id"), owner.c.slug == bindparam("slug")
        )
    )


LINK_STATEMENTS: dict[str, Prepared] = {
    label: _link_statement(table, shape) for label, (table, shape) in LINK_SHAPES.items()
}
"""By the link's label (app/writes/service.py `Kind.label`)."""


def link_detail(connection: Connection | Session, label: str, slug: str, link_id: int) -> Any:
    """Link `link_id` of therapy `slug` (404 if either is missing), as its public shape."""
    found = LINK_STATEMENTS[label].first(connection, slug=slug, id=link_id)
    if found is None:
        if THERAPY_EXISTS.first(connection, slug=slug) is None:
            raise NotFound(f"No therapy with slug '{slug}'.")
        raise NotFound(f"Therapy '{slug}' has no {label} #{link_id}.")
    return found


THERAPY_EXISTS = Prepared(
    THERAPIES.select()
    .with_only_columns(THERAPIES.c.id)
    .where(THERAPIES.c.slug == bindparam("slug"))
)
