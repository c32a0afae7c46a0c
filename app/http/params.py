"""Query parameters shared by several routes, and the route class that refuses unknown ones."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BeforeValidator

from app.errors import InvalidParam, InvalidRequest
from app.http.fields import projection_for
from app.http.formats import format_parameter, requested_format, table_response
from app.http.pagination import PageParams, page_params
from app.models import SLUG_PATTERN
from app.search.query import MAX_QUERY_LENGTH

PageDep = Annotated[PageParams, Depends(page_params)]


def slug_filter(description: str) -> Any:
    return Query(min_length=1, max_length=80, pattern=SLUG_PATTERN, description=description)


def _iso_date(value: Any) -> Any:
    """Only `YYYY-MM-DD`: pydantic would also take a number as a Unix time (`0` is 1970-01-01),
    which the OpenAPI document's `format: date` does not allow."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A date query parameter, written YYYY-MM-DD."""


SEARCH_TEXT_RULES = (
    f"At most {MAX_QUERY_LENGTH} characters (longer is a 422). Case, accents and punctuation "
    "do not matter (`%`, `_` and quotes are plain text, never wildcards); a word may be the "
    "start of one (`epicond`) or carry one or two typos (`achilis`); only the first 10 words "
    "count."
)


def search_text(description: str, *, required: bool) -> Any:
    """`q`: free text, searched as app/search/query.py describes."""
    return Query(
        min_length=1 if required else 0,
        max_length=MAX_QUERY_LENGTH,
        pattern=r"^[^\x00]*$",  # no NUL: the request guard refuses it before any route
        description=f"{description} {SEARCH_TEXT_RULES}",
    )


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


IGNORED = {"_"}
"""Taken by every route and ignored: `_`, a browser's cache-buster (`?_=1700000000`)."""


class StrictQueryRoute(APIRoute):
    """A route that answers 422 to query parameters it does not know (but `_`, a
    cache-buster, see IGNORED).

    A misspelt filter (`?condtion=...`) would otherwise be ignored and silently return every
    record; naming it in the error lets the client fix it.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = _query_names(self.dependant)
        # `fields=` on every list and detail (app/http/fields.py), declared here once.
        projection = projection_for(self)
        # Lists as CSV and NDJSON too (app/http/formats.py).
        tables = projection is not None and projection.page
        if projection is not None:
            added = [projection.parameter(), *([format_parameter()] if tables else [])]
            allowed = allowed | {param["name"] for param in added}
            extra = dict(self.openapi_extra or {})
            # (a route included in the app is built again from its router's, extra and all)
            names = {param["name"] for param in added}
            declared = [p for p in extra.get("parameters", []) if p["name"] not in names]
            extra["parameters"] = [*declared, *added]
            self.openapi_extra = extra

        async def strict_handler(request: Request) -> Response:
            unknown = sorted(set(request.query_params) - allowed - IGNORED)
            if unknown:
                reason = (
                    f"unknown query parameter; this endpoint takes: {', '.join(sorted(allowed))}"
                    if allowed
                    else "unknown query parameter; this endpoint takes none"
                )
                raise InvalidRequest(
                    f"Unknown query parameter(s): {', '.join(unknown)}.",
                    invalid_params=[
                        InvalidParam(name=name, reason=reason, location="query") for name in unknown
                    ],
                )
            if projection is None:
                return await handler(request)
            if tables and (fmt := requested_format(request)) != "json":
                return await table_response(request, handler, projection, fmt)
            return projection.apply(request, await handler(request))

        return strict_handler
