"""The one list shape and the one pagination scheme (limit/offset) shared by every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, func, literal_column
from sqlmodel import Session, select

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


class PageLinks(BaseModel):
    self: str
    first: str
    last: str
    next: str | None = Field(description="The next page, or null on the last page.")
    prev: str | None = Field(description="The previous page, or null on the first page.")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many items match, across all pages.")
    limit: int
    offset: int
    links: PageLinks


@dataclass
class PageParams:
    limit: int
    offset: int
    response: Response | None = None
    """Where make_page sets the Link header (FastAPI merges it into the final response)."""


async def page_params(
    response: Response,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many items to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, response=response)


def page_links(request: Request, *, total: int, limit: int, offset: int) -> dict[str, str | None]:
    """The page's links (PageLinks' fields): this request's URL with its other parameters kept
    as they came, then `limit` and each page's `offset`."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
    others = f"{urlencode(kept)}&" if kept else ""
    at = f"{public_url(request)}?{others}limit={limit}&offset="
    last = max(0, (total - 1) // limit * limit)
    return {
        "self": f"{at}{offset}",
        "first": f"{at}0",
        "last": f"{at}{last}",
        "next": f"{at}{offset + limit}" if offset + limit < total else None,
        "prev": f"{at}{max(0, offset - limit)}" if offset > 0 else None,
    }


def public_url(request: Request) -> str:
    """The request's URL without its query, on PUBLIC_BASE_URL when one is configured."""
    base = request.app.state.settings.public_base_url
    if base:
        return str(base).rstrip("/") + request.url.path
    return str(request.url.replace(query=""))


def absolute_url(request: Request, path: str) -> str:
    """`path` (and its query) on this API, on PUBLIC_BASE_URL when one is configured."""
    base = request.app.state.settings.public_base_url or str(request.base_url)
    return str(base).rstrip("/") + path


def make_page(
    request: Request, items: list[Any], *, total: int, params: PageParams
) -> dict[str, Any]:
    links = page_links(request, total=total, limit=params.limit, offset=params.offset)
    if params.response is not None:
        params.response.headers["link"] = link_header(links)
    return {
        "items": items,
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "links": links,
    }


def page_response(
    request: Request, items: str, *, total: int, params: PageParams, **extra: Any
) -> Response:
    """A page whose items the database wrote as JSON (app/json_reads.py), with `extra` fields
    after the common ones and the `Link` header."""
    links = page_links(request, total=total, limit=params.limit, offset=params.offset)
    body = {
        "items": orjson.Fragment(items),
        "total": total,
        "limit": params.limit,
        "offset": params.offset,
        "links": links,
        **extra,
    }
    return Response(
        orjson.dumps(body), media_type="application/json", headers={"link": link_header(links)}
    )


def link_header(links: dict[str, str | None]) -> str:
    """RFC 8288 `Link`: the same first/prev/next/last as the body's `links`."""
    rels = ("first", "prev", "next", "last")
    return ", ".join(f'<{links[rel]}>; rel="{rel}"' for rel in rels if links[rel] is not None)


def fetch_page(
    session: Session,
    statement: Any,
    *,
    order_by: list[Any],
    params: PageParams,
) -> tuple[list[Any], int]:
    """One page of `statement` in an explicit order, and the total count."""
    counted = statement.with_only_columns(literal_column("1"), maintain_column_froms=True)
    total: int = session.exec(select(func.count()).select_from(counted.subquery())).one()
    rows = session.exec(statement.order_by(*order_by).limit(params.limit).offset(params.offset))
    return list(rows.all()), total


def order_by(table: Any, sort: str) -> list[ColumnElement[Any]]:
    """`name` ascending, `-name` descending, then the primary key so ties stay in one order."""
    column = getattr(table, sort.removeprefix("-"))
    primary = column.desc() if sort.startswith("-") else column.asc()
    return [primary, table.id.asc()]
