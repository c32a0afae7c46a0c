"""The one list shape and the one pagination scheme (limit/offset) shared by every list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import Query, Request, Response

from app.http.prebuilt import PrebuiltJSON
from app.reads.pages import PageBody

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 1_000_000


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
    # `_` (a cache-buster) is left out: the answer is shared by every value of it.
    skipped = ("limit", "offset", "_")
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in skipped]
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
) -> PrebuiltJSON:
    """A page whose items the database wrote as JSON (app/reads/), with `extra` fields
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
    return PrebuiltJSON(orjson.dumps(body), headers={"link": link_header(links)})


def page_body_response(request: Request, found: PageBody, params: PageParams) -> PrebuiltJSON:
    """`page_response` for a read's PageBody."""
    return page_response(request, found.items, total=found.total, params=params, **found.extra)


def link_header(links: dict[str, str | None]) -> str:
    """RFC 8288 `Link`: the same first/prev/next/last as the body's `links`."""
    rels = ("first", "prev", "next", "last")
    return ", ".join(f'<{links[rel]}>; rel="{rel}"' for rel in rels if links[rel] is not None)
