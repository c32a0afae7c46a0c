"""/v1/search: one ranked search across therapies, conditions, injectates, side effects,
outcomes and sources (the index and the ranking are in app/search/)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.errors import problem_responses
from app.http.pagination import absolute_url, make_page
from app.http.params import PageDep, StrictQueryRoute, search_text
from app.models import SearchHit, SearchMatch, SearchPage, SearchType
from app.search.index import INDEXED
from app.search.query import record_titles, related_hits, search
from app.store.engine import SessionDep

router = APIRouter(prefix="/v1/search", tags=["search"], route_class=StrictQueryRoute)


@router.get("", response_model=SearchPage, responses=problem_responses(422))
def list_search_hits(
    request: Request,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str,
        search_text(
            "What to find: a name, synonym, alias, code, code title, title, author, DOI or PMID, "
            "or words of a summary or finding, in any order. Required and not empty.",
            required=True,
        ),
    ],
    types: Annotated[
        list[SearchType] | None,
        Query(alias="type", description="Only these record types (repeat for several)."),
    ] = None,
) -> dict[str, Any]:
    """Search every record type at once: best match first, each hit with a marked snippet;
    partial matches when no record matches every word, related records when none matches."""
    result = search(session.connection(), q, types=types or list(SearchType))
    window = result.hits[page.offset : page.offset + page.limit]
    titles = record_titles(session.connection(), window)
    items = [
        SearchHit(
            type=hit.record_type,
            slug=hit.slug,
            title=titles.get((hit.record_type, hit.record_id), hit.slug),
            snippet=result.snippet(hit),
            url=absolute_url(
                request,
                request.app.url_path_for(INDEXED[hit.record_type].route, slug=hit.slug),
            ),
            match=SearchMatch.model_validate(hit.match()),
        )
        for hit in window
    ]
    body = make_page(request, items, total=len(result.hits), params=page)
    body["did_you_mean"] = result.did_you_mean
    body["related"] = related_hits(session.connection(), result.related)
    body["message"] = result.message("record")
    return body
