"""What every list read shares: its answer (`PageBody`), its order, and a page of ORM rows.

The wire side of a page (links, the Link header, the body around the items) is
app/http/pagination.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal_column, table
from sqlmodel import Session, column, select

from app.store.engine import Prepared


@dataclass(frozen=True)
class PageBody:
    """A page as a read returns it: its items as the database wrote them (a JSON array), how
    many match in all, and any fields the list adds after the common ones (facets ...)."""

    items: str
    total: int
    extra: dict[str, Any] = field(default_factory=dict)


def read_page(
    statement: Prepared, connection: Connection, filters: dict[str, Any], limit: int, offset: int
) -> PageBody:
    """Run a page statement (`record_page`, app/reads/shapes.py) with its filters' values."""
    found = statement.first(connection, **filters, limit=limit, offset=offset)
    return PageBody(found.items, found.total)


def fetch_page(
    session: Session,
    statement: Any,
    *,
    order_by: list[Any],
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """One page of `statement` in an explicit order, and the total count."""
    counted = statement.with_only_columns(literal_column("1"), maintain_column_froms=True)
    total: int = session.exec(select(func.count()).select_from(counted.subquery())).one()
    rows = session.exec(statement.order_by(*order_by).limit(limit).offset(offset))
    return list(rows.all()), total


def order_by(table: Any, sort: str) -> list[ColumnElement[Any]]:
    """`name` ascending, `-name` descending, then the primary key so ties stay in one order."""
    column = getattr(table, sort.removeprefix("-"))
    primary = column.desc() if sort.startswith("-") else column.asc()
    return [primary, table.id.asc()]


def slugs_with_prefix(connection: Connection, table_name: str, prefix: str) -> list[str]:
    """The slugs of `table_name` that start with `prefix` (a prefix of slug characters only,
    [a-z0-9-], so it holds no LIKE wildcard)."""
    slug: Any = column("slug")
    rows = connection.execute(
        select(slug).select_from(table(table_name)).where(slug.startswith(prefix)).order_by(slug)
    )
    return [found for (found,) in rows]
