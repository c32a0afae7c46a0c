"""The HTML pages for clinicians: /, /search, /conditions/{slug} (and its /compare),
/therapies/{slug}, /injectates/{slug}, /side-effects/{slug} and /sources/{slug}.

Thin like every route: each page calls the same reads as the JSON API (app/reads/), parses
the JSON the database wrote and renders it with a Jinja2 template (app/pages/templates,
autoescaped). The pages pass through the same response cache, ETags and compression as the
JSON (app/http/cache.py); they live outside /v1, so a page and a JSON answer never share a
cache key. Their one stylesheet and one script are in app/static/pages, served by the app.
Why pages in the app and how: docs/decisions/0017-html-pages-in-the-app.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from app.errors import NotFound
from app.http.html import page, templates
from app.models import SLUG_PATTERN
from app.reads.body_regions import body_region_counts
from app.reads.conditions import (
    condition_detail,
    condition_page,
    condition_search_page,
    condition_therapy_page,
)
from app.reads.injectates import injectate_detail
from app.reads.side_effects import side_effect_detail
from app.reads.slug_history import moved_path
from app.reads.sources import source_detail
from app.reads.therapies import therapy_detail
from app.routes.meta import DISCLAIMER
from app.search.query import MAX_QUERY_LENGTH
from app.store.engine import SessionDep, run_read

SEARCH_LIMIT = 50
"""Conditions per search page; more are a `next` link away."""
ALL = 500
"""A condition's therapies on its page: all of them (the JSON's page limit is the bound)."""

templates.env.globals["disclaimer"] = DISCLAIMER

router = APIRouter(include_in_schema=False)


async def not_found(request: Request, error: NotFound) -> Response:
    """The 404 of a page: an HTML page that says what was missing and where to search; for a
    renamed record's former slug, 308 to its page (app/reads/slug_history.py)."""
    moved = await run_read(request, moved_path, request.url.path)
    if moved is not None:
        query = request.url.query
        return RedirectResponse(f"{moved}?{query}" if query else moved, status_code=308)
    return page(
        request, "not_found.html", {"message": error.detail}, json_path=None, status_code=404
    )


async def read_json(request: Request, read: Callable[..., Any], *args: Any) -> Any:
    """A detail read of app/reads/ as the API sends it, parsed."""
    found = await run_read(request, read, *args)
    return orjson.loads(found.body)


@router.get("/", name="read_home_page")
def read_home_page(request: Request, session: SessionDep) -> Response:
    """The home page: the search box, the body regions with their condition counts."""
    regions, _ = body_region_counts(session, "slug", ALL, 0)
    return page(request, "home.html", {"regions": regions}, json_path="/v1/body-regions")


@router.get("/search", name="read_search_page")
async def read_search_page(
    request: Request,
    q: Annotated[str, Query(max_length=MAX_QUERY_LENGTH, pattern=r"^[^\x00]*$")] = "",
    body_region: Annotated[str | None, Query(pattern=SLUG_PATTERN, max_length=80)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Conditions by name, synonym or code (typos and all), or by body region."""
    filters = {} if body_region is None else {"body_region": body_region}
    q = q.strip()
    if q:
        found = await run_read(
            request,
            condition_search_page,
            q,
            filters,
            None,
            None,
            SEARCH_LIMIT,
            offset,
            threadpool=True,
        )
    elif filters:
        found = await run_read(request, condition_page, filters, "name", None, SEARCH_LIMIT, offset)
    else:
        found = None
    params = {"q": q} if q else {}
    params |= filters
    json_path = "/v1/conditions" + _query(params)
    context: dict[str, Any] = {
        "q": q,
        "body_region": body_region,
        "items": [],
        "total": 0,
        "did_you_mean": [],
        "related": [],
        "message": None,
        "previous_path": None,
        "next_path": None,
        "page_size": SEARCH_LIMIT,
    }
    if found is not None:
        context |= {
            "items": orjson.loads(found.items),
            "total": found.total,
            "did_you_mean": found.extra["did_you_mean"],
            "related": found.extra["related"],
            "message": found.extra["message"],
        }
        if offset > 0:
            context["previous_path"] = "/search" + _query(
                params | {"offset": max(offset - SEARCH_LIMIT, 0)}
            )
        if offset + SEARCH_LIMIT < found.total:
            context["next_path"] = "/search" + _query(params | {"offset": offset + SEARCH_LIMIT})
        context["offset"] = offset
    return page(request, "search.html", context, json_path=json_path)


def _query(params: dict[str, Any]) -> str:
    return f"?{urlencode(params)}" if params else ""


async def _condition_page(request: Request, slug: str, template: str) -> Response:
    """A condition's therapies, from the reads its JSON uses, rendered with `template`."""
    try:
        condition = await read_json(request, condition_detail, slug)
        found = await run_read(request, condition_therapy_page, slug, {}, ALL, 0)
    except NotFound as error:
        return await not_found(request, error)
    context = {"condition": condition, "therapies": orjson.loads(found.items)}
    return page(request, template, context, json_path=f"/v1/conditions/{slug}/therapies")


@router.get("/conditions/{slug}", name="read_condition_page")
async def read_condition_page(request: Request, slug: str) -> Response:
    """A condition: every therapy with its evidence, protocols, side effects and sources."""
    return await _condition_page(request, slug, "condition.html")


@router.get("/conditions/{slug}/compare", name="read_comparison_page")
async def read_comparison_page(request: Request, slug: str) -> Response:
    """A condition's therapies side by side."""
    return await _condition_page(request, slug, "compare.html")


def _detail_page(
    path: str, template: str, read: Callable[..., Any], name: str
) -> Callable[..., Any]:
    """GET /{path}/{slug}: one record's page, from the read its JSON detail uses."""

    async def read_page(request: Request, slug: str) -> Response:
        try:
            record = await read_json(request, read, slug)
        except NotFound as error:
            return await not_found(request, error)
        return page(request, template, {"record": record}, json_path=f"/v1/{path}/{slug}")

    read_page.__name__ = read_page.__qualname__ = name
    read_page.__doc__ = f"The page of one of /v1/{path}."
    router.add_api_route(f"/{path}/{{slug}}", read_page, methods=["GET"], name=name)
    return read_page


_detail_page("therapies", "therapy.html", therapy_detail, "read_therapy_page")
_detail_page("injectates", "injectate.html", injectate_detail, "read_injectate_page")
_detail_page("side-effects", "side_effect.html", side_effect_detail, "read_side_effect_page")
_detail_page("sources", "source.html", source_detail, "read_source_page")
