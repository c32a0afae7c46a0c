"""Every list as CSV or NDJSON as well as JSON: `format=csv` / `format=ndjson`, or the
`Accept` header (`text/csv`, `application/x-ndjson`).

The rows are the JSON list's items, with the same filters and order (the route's own handler
builds each page; this module only writes it out again), cut by `fields=` like the JSON:

- CSV (RFC 4180, through Python's `csv` module: CRLF line ends, quotes doubled): a header row,
  then one row per item. A nested object's fields become columns of their own named by a
  dotted path (`source.slug`); a list, or an object deeper down, is one column holding its JSON
  text; null is an empty field; true and false are written `true` and `false`.
- NDJSON: one item per line, as JSON.

With `limit` or `offset`, the answer is that page (cached and tagged like the JSON). Without
them it is every matching row: it is streamed as the route's pages of MAX_LIMIT are built, so a
large export never sits whole in memory, and it is never stored (the HTTP cache passes a
response without Content-Length through, app/http/cache.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from app.errors import InvalidParam, InvalidRequest
from app.http.fields import (
    Projection,
    Tree,
    asked_fields,
    holds_list,
    model_tree,
    nested_model,
    parse_fields,
    project,
)

FORMAT_PARAMETER = "format"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
ACCEPTED = {"text/csv": "csv", "application/x-ndjson": "ndjson"}
PAGE_SIZE = 100

Handler = Callable[[Request], Awaitable[Response]]


def requested_format(request: Request) -> str:
    """`json`, `csv` or `ndjson`: the `format` parameter, else the Accept header's first
    media type this API writes (JSON unless CSV or NDJSON is asked for by name)."""
    asked = request.query_params.get(FORMAT_PARAMETER)
    if asked is not None:
        if asked not in ("json", *MEDIA_TYPES):
            raise InvalidRequest(
                f"Unknown format '{asked}'.",
                invalid_params=[
                    InvalidParam(
                        name=FORMAT_PARAMETER,
                        reason="one of json, csv, ndjson",
                        location="query",
                    )
                ],
            )
        return asked
    accept = request.headers.get("accept", "")
    if "csv" in accept or "ndjson" in accept:
        for part in accept.split(","):
            media = part.split(";")[0].strip().lower()
            if media in ACCEPTED:
                return ACCEPTED[media]
            if media in ("application/json", "*/*", "application/*"):
                return "json"
    return "json"


def columns(tree: Tree) -> list[tuple[str, ...]]:
    """The CSV columns of items shaped like `tree`: a field, or a nested object's field."""
    found: list[tuple[str, ...]] = []
    for name, sub in tree.items():
        if isinstance(sub, dict) and not _is_list_field(sub):
            found += [(name, child) for child in sub]
        else:
            found.append((name,))
    return found


LIST = "[]"
"""Marks a list in an item's tree."""


def _is_list_field(sub: Tree) -> bool:
    return LIST in sub


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def csv_row(item: dict[str, Any], header: list[tuple[str, ...]]) -> list[str]:
    row = []
    for path in header:
        value: Any = item
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        row.append(_cell(value))
    return row


def item_tree(model: Any) -> Tree:
    """`model`'s shape, each list marked (a list is one CSV column, not several)."""
    tree: Tree = {}
    for name, info in model.model_fields.items():
        inner = nested_model(info.annotation)
        if inner is None:
            tree[name] = True
        elif holds_list(info.annotation):
            tree[name] = {LIST: True}
        else:
            tree[name] = model_tree(inner)
    return tree


def _restrict(tree: Tree, asked: Tree | None) -> Tree:
    """`tree` cut to the `fields=` the client named, in the model's order."""
    if asked is None:
        return tree
    kept: Tree = {}
    for name, sub in tree.items():
        if name not in asked:
            continue
        wanted = asked[name]
        if wanted is True or not isinstance(sub, dict) or _is_list_field(sub):
            kept[name] = sub
        else:
            kept[name] = {child: value for child, value in sub.items() if child in wanted}
    return kept


class Writer:
    """Writes pages of items as CSV or NDJSON text."""

    def __init__(self, fmt: str, projection: Projection, asked: Tree | None):
        self.fmt = fmt
        self.asked = asked
        self.header = columns(_restrict(item_tree(projection.item), asked))

    def head(self) -> bytes:
        return self._csv([[".".join(path) for path in self.header]]) if self.fmt == "csv" else b""

    def rows(self, items: list[dict[str, Any]]) -> bytes:
        if self.asked is not None:
            items = project(items, self.asked)
        if self.fmt == "ndjson":
            return b"".join(orjson.dumps(item) + b"\n" for item in items)
        return self._csv([csv_row(item, self.header) for item in items])

    @staticmethod
    def _csv(rows: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)  # RFC 4180: CRLF, quotes doubled
        return buffer.getvalue().encode()


def _page_request(request: Request, offset: int) -> Request:
    kept = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key not in ("limit", "offset", FORMAT_PARAMETER, "fields")
    ]
    query = urlencode([*kept, ("limit", PAGE_SIZE), ("offset", offset)]).encode()
    return Request(dict(request.scope, query_string=query), request.receive)


async def table_response(
    request: Request, handler: Handler, projection: Projection, fmt: str
) -> Response:
    """The list `handler` answers, as CSV or NDJSON (see the module's docstring)."""
    raw_fields = asked_fields(request)
    asked = None if raw_fields is None else parse_fields(raw_fields, projection.allowed)
    writer = Writer(fmt, projection, asked)
    headers = {"Content-Disposition": f'inline; filename="{_file_name(request, fmt)}"'}
    if "limit" in request.query_params or "offset" in request.query_params:
        page = await handler(request)
        if page.status_code != 200:
            return page
        body = orjson.loads(bytes(page.body))
        link = page.headers.get("link")
        if link:
            headers["Link"] = link
        content = writer.head() + writer.rows(body["items"])
        return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)
    first = await handler(_page_request(request, 0))
    if first.status_code != 200:
        return first

    async def stream() -> AsyncIterator[bytes]:
        body = orjson.loads(bytes(first.body))
        yield writer.head() + writer.rows(body["items"])
        offset = PAGE_SIZE
        while offset < body["total"]:
            page = await handler(_page_request(request, offset))
            body = orjson.loads(bytes(page.body))
            if not body["items"]:
                break
            yield writer.rows(body["items"])
            offset += PAGE_SIZE

    return StreamingResponse(stream(), media_type=MEDIA_TYPES[fmt], headers=headers)


def _file_name(request: Request, fmt: str) -> str:
    name = request.url.path.strip("/").replace("/", "-") or "list"
    return f"{name}.{fmt}"


def format_parameter() -> dict[str, Any]:
    """The OpenAPI description of `format` on a list."""
    return {
        "name": FORMAT_PARAMETER,
        "in": "query",
        "required": False,
        "description": "`csv` (RFC 4180, a header row; a nested object's fields as dotted "
        "columns, lists as JSON text) or `ndjson` (one item per line) instead of JSON; "
        "`Accept: text/csv` or `application/x-ndjson` ask the same. Without `limit` or "
        "`offset`, every matching row, streamed.",
        "schema": {"type": "string", "enum": ["json", "csv", "ndjson"], "default": "json"},
    }
