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
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.errors import NotFound
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

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "pages" / "templates"

# Everything a page loads comes from this origin, and nothing runs inline: the one script and
# the one stylesheet are files (app/static/pages).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)

SEARCH_LIMIT = 50
"""Conditions per search page; more are a `next` link away."""
ALL = 500
"""A condition's therapies on its page: all of them (the JSON's page limit is the bound)."""

LABELS = {
    "systematic-review": "Systematic review",
    "rct": "Randomised controlled trial",
    "cohort": "Cohort study",
    "case-series": "Case series",
    "expert-opinion": "Expert opinion",
    "practitioner-claim": "Practitioner claim",
    "between-groups": "Between groups",
    "within-group": "Within one group (before and after)",
    "none": "No comparison",
    "favours-therapy": "Favours the therapy",
    "no-difference": "No difference",
    "favours-comparator": "Favours the comparator",
    "improved-uncontrolled": "Improved, uncontrolled",
    "unclear": "Unclear",
    "very-common": "Very common",
    "common": "Common",
    "uncommon": "Uncommon",
    "rare": "Rare",
    "not-observed": "Not observed",
    "unknown": "Unknown",
    "ankle-foot": "Ankle and foot",
    "hip-pelvis": "Hip and pelvis",
    "low-back": "Low back",
    "head-neck": "Head and neck",
    "web-page": "Web page",
    "journal-article": "Journal article",
    "book-chapter": "Book chapter",
    "trial-registry": "Trial registry entry",
    "code-set": "Code set",
    "local-anaesthetic": "Local anaesthetic",
    "proponent": "Proponent",
    "independent": "Independent",
    "very-low": "Very low",
}


def label(value: str | None) -> str:
    """A vocabulary value as a reader says it: `favours-therapy` -> "Favours the therapy"."""
    if value is None:
        return ""
    return LABELS.get(value) or value.replace("-", " ").capitalize()


def _number(value: float) -> str:
    return f"{value:g}"


def percent(low: float | None, high: float | None) -> str:
    """A concentration range: 10, 10 -> "10%"; 12.5, 25 -> "12.5–25%"; none -> ""."""
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        return f"{_number(low if low is not None else high)}%"  # type: ignore[arg-type]
    return f"{_number(low)}–{_number(high)}%"


def value_range(low: float | None, high: float | None, unit: str | None) -> str:
    """A reported value or range with its unit ("" when none)."""
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        text = _number(low if low is not None else high)  # type: ignore[arg-type]
    else:
        text = f"{_number(low)}–{_number(high)}"
    return f"{text} {unit}" if unit else text


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters |= {"label": label, "percent": percent, "value_range": value_range}
    environment.globals |= {"disclaimer": DISCLAIMER}
    return environment


templates = Jinja2Templates(env=_environment())

router = APIRouter(include_in_schema=False)


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    json_path: str | None,
    status_code: int = 200,
) -> Response:
    """A rendered page with its security policy, and a `Link` to its JSON when it has one."""
    headers = {"content-security-policy": PAGE_CSP}
    if json_path is not None:
        headers["link"] = f'<{json_path}>; rel="alternate"; type="application/json"'
    return templates.TemplateResponse(
        request,
        template,
        {"json_path": json_path, **context},
        status_code=status_code,
        headers=headers,
    )


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


async def _condition_context(request: Request, slug: str) -> dict[str, Any]:
    condition = await read_json(request, condition_detail, slug)
    found = await run_read(request, condition_therapy_page, slug, {}, ALL, 0)
    return {"condition": condition, "therapies": orjson.loads(found.items)}


@router.get("/conditions/{slug}", name="read_condition_page")
async def read_condition_page(request: Request, slug: str) -> Response:
    """A condition: every therapy with its evidence, protocols, side effects and sources."""
    try:
        context = await _condition_context(request, slug)
    except NotFound as error:
        return await not_found(request, error)
    return page(request, "condition.html", context, json_path=f"/v1/conditions/{slug}/therapies")


@router.get("/conditions/{slug}/compare", name="read_comparison_page")
async def read_comparison_page(request: Request, slug: str) -> Response:
    """A condition's therapies side by side."""
    try:
        context = await _condition_context(request, slug)
    except NotFound as error:
        return await not_found(request, error)
    return page(request, "compare.html", context, json_path=f"/v1/conditions/{slug}/therapies")


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
