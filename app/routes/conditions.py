"""/v1/conditions: what is treated, and the clinician's question: which therapies, how well."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection, Select, exists, func, null, or_, union
from sqlmodel import select

from app import json_reads
from app.auth import EditorDep
from app.db import SessionDep, run_read
from app.errors import NotFound, problem_responses
from app.facets import CONDITION_FACETS_DESCRIPTION, ConditionFacet, condition_facets
from app.json_reads import (
    CONDITIONS,
    INDICATIONS,
    INJECTATE_USES,
    INJECTATES,
    OUTCOMES,
    SIDE_EFFECT_REPORTS,
    THERAPIES,
    Prepared,
    array,
    bindparam,
    correlated,
    page_of,
    record,
    response_body,
)
from app.models import (
    EVIDENCE_RANK,
    Condition,
    ConditionCreate,
    ConditionDetail,
    ConditionListItem,
    ConditionListPage,
    ConditionPublic,
    ConditionSource,
    ConditionSummary,
    ConditionTherapy,
    EvidenceLevel,
    Indication,
    Outcome,
    SearchMatch,
    SearchType,
    TherapySummary,
)
from app.pagination import Page, PageParams, order_by, page_response
from app.params import PageDep, StrictQueryRoute, search_text, slug_filter
from app.queries import (
    get_by_slug,
    indications_where,
    outcomes_where,
    row_fields,
    sources_of,
)
from app.search import Hit, code_filter, code_range, search
from app.writes import (
    CHANGE_ERRORS,
    CONDITION,
    CREATE_ERRORS,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/conditions", tags=["conditions"], route_class=StrictQueryRoute)

ConditionSort = Literal["name", "-name", "slug", "-slug", "body_region", "-body_region"]


class ConditionTherapiesPage(Page[ConditionTherapy]):
    condition: ConditionSummary


@router.get("", response_model=ConditionListPage, responses=problem_responses(422))
async def list_conditions(
    request: Request,
    page: PageDep,
    q: Annotated[
        str | None,
        search_text(
            "Find conditions by name, synonym or code, best match first; each item then says "
            "what matched (`match`), and `did_you_mean` offers close names when nothing "
            "matched as typed. Empty (`q=`) means no text filter.",
            required=False,
        ),
    ] = None,
    code: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=20,
            pattern=r"^[0-9A-Za-z.]+$",
            description="Only conditions with this code or a code below it: `M77.1` matches "
            "M77.1 and M77.10-M77.12, `M77` every M77 code. Case does not matter.",
        ),
    ] = None,
    body_region: Annotated[str | None, slug_filter("Only conditions of this body region.")] = None,
    category: Annotated[str | None, slug_filter("Only conditions of this category.")] = None,
    therapy: Annotated[str | None, slug_filter("Only conditions this therapy is used for.")] = None,
    sort: Annotated[
        ConditionSort | None,
        Query(description="Default `name`; with `q`, best match first unless a sort is given."),
    ] = None,
    facets: Annotated[
        list[ConditionFacet] | None, Query(description=CONDITION_FACETS_DESCRIPTION)
    ] = None,
) -> Response:
    """List conditions: find them by name, synonym or code, filter them, count them by facet."""
    values = {"body_region": body_region, "category": category, "therapy": therapy}
    filters: dict[str, Any] = {name: value for name, value in values.items() if value is not None}
    if code is not None:
        filters |= code_range(code)
    if q is None or not q.strip():
        return await run_read(
            request, conditions_page, request, page, filters, sort or "name", facets
        )
    return await run_read(
        request, search_page, request, page, q, filters, sort, facets, threadpool=True
    )


@functools.lru_cache(maxsize=64)
def condition_ids(filters: frozenset[str]) -> Select[Any]:
    """The ids of the conditions matching `filters`, the names of the values bound at
    execution: `body_region`, `category`, `therapy` (a slug) and `code_low`/`code_high`
    (`app.search.code_range`)."""
    query = select(CONDITIONS.c.id)
    if "code_low" in filters:
        query = query.where(code_filter(bounded="code_high" in filters))
    for name in ("body_region", "category"):
        if name in filters:
            query = query.where(CONDITIONS.c[name] == bindparam(name))
    if "therapy" in filters:
        used_for = (
            select(INDICATIONS.c.condition_id)
            .join(THERAPIES, INDICATIONS.c.therapy_id == THERAPIES.c.id)
            .where(THERAPIES.c.slug == bindparam("therapy"))
        )
        query = query.where(CONDITIONS.c.id.in_(used_for))
    return query


@functools.lru_cache(maxsize=256)
def condition_list_statement(filters: frozenset[str], sort: str) -> Prepared:
    """For one combination of filters and a sort: a page of conditions as JSON (`items`, each
    with `match` null) and the count (`total`), in one statement."""
    item = record(ConditionListItem, CONDITIONS, match=null())
    rows = select(CONDITIONS.c.id)
    order = order_by(Condition, sort)
    return Prepared(page_of(item, rows, CONDITIONS.c.id, condition_ids(filters), *order))


def conditions_page(
    connection: Connection,
    request: Request,
    page: PageParams,
    filters: dict[str, Any],
    sort: str,
    facets: list[ConditionFacet] | None,
) -> Response:
    """The page of conditions matching `filters` (the bound values of `condition_ids`),
    written by the database (app/json_reads.py)."""
    statement = condition_list_statement(frozenset(filters), sort)
    found = statement.first(connection, **filters, limit=page.limit, offset=page.offset)
    assert found is not None
    ids: Any = condition_ids(frozenset(filters)).params(**filters) if facets else []
    return page_response(
        request,
        found.items,
        total=found.total,
        params=page,
        did_you_mean=[],
        facets=condition_facets(connection, ids, facets),
    )


@functools.lru_cache(maxsize=128)
def condition_items(count: int) -> Prepared:
    """`count` conditions by id (bound as `id0`, `id1` ...), each as the JSON of a list item
    without its `match`: one statement text per page length, run on the driver's cursor."""
    ids: list[Any] = [bindparam(f"id{number}") for number in range(count)]
    item = response_body(record(ConditionPublic, CONDITIONS))
    return Prepared(select(CONDITIONS.c.id, item).where(CONDITIONS.c.id.in_(ids)))


assert list(ConditionListItem.model_fields) == [*ConditionPublic.model_fields, "match"]
assert list(SearchMatch.model_fields) == ["field", "text"]  # as `_with_match` writes it


def search_page(
    connection: Connection,
    request: Request,
    page: PageParams,
    q: str,
    filters: dict[str, Any],
    sort: str | None,
    facets: list[ConditionFacet] | None,
) -> Response:
    """The page of conditions matching `q` (and `filters`, the bound values of
    `condition_ids`), best match first unless sorted.
    The items are written by the database (app/json_reads.py), each with its `match` added."""
    result = search(connection, q, types=[SearchType.condition])
    hits = {hit.record_id: hit for hit in result.hits}
    if filters:
        matching = condition_ids(frozenset(filters)).where(CONDITIONS.c.id.in_(list(hits)))
        kept = set(connection.execute(matching, filters).scalars())
        hits = {record_id: hit for record_id, hit in hits.items() if record_id in kept}
    if sort is None:
        window = list(hits)[page.offset : page.offset + page.limit]
    else:
        ordered = (
            select(CONDITIONS.c.id)
            .where(CONDITIONS.c.id.in_(list(hits)))
            .order_by(*order_by(Condition, sort))
            .limit(page.limit)
            .offset(page.offset)
        )
        window = list(connection.execute(ordered).scalars())
    ids = {f"id{number}": record_id for number, record_id in enumerate(window)}
    found: dict[int, str] = (
        dict(condition_items(len(window)).all(connection, **ids)) if window else {}
    )
    items = ",".join(_with_match(found[record_id], hits[record_id]) for record_id in window)
    return page_response(
        request,
        f"[{items}]",
        total=len(hits),
        params=page,
        did_you_mean=result.did_you_mean,
        facets=condition_facets(connection, list(hits), facets),
    )


def _with_match(item: str, hit: Hit) -> str:
    """A list item's JSON with `match`, its last field, added."""
    match = orjson.dumps({"field": hit.field, "text": hit.text}).decode()
    return f'{item[:-1]},"match":{match}}}'


@router.get("/{slug}", response_model=ConditionDetail, responses=problem_responses(404, 422))
def read_condition(slug: str, session: SessionDep, response: Response) -> ConditionDetail:
    """One condition with the therapies used for it, their outcomes and the sources."""
    condition = get_by_slug(session, Condition, slug, label="condition")
    response.headers["ETag"] = etag_of(CONDITION, condition)
    indications = indications_where(session, Indication.condition_id == condition.id)
    therapies = {item.therapy.slug: item.therapy for item in indications}
    return ConditionDetail.model_validate(
        row_fields(condition, ConditionDetail)
        | {
            "therapies": sorted(therapies.values(), key=lambda therapy: therapy.name),
            "indications": indications,
            "outcomes": outcomes_where(session, Outcome.condition_id == condition.id),
            "sources": sources_of(
                session, ConditionSource, ConditionSource.condition_id, condition.id
            ),
        }
    )


@router.get(
    "/{slug}/therapies",
    response_model=ConditionTherapiesPage,
    responses=problem_responses(404, 422),
)
async def read_condition_therapies(
    request: Request,
    slug: str,
    page: PageDep,
    min_evidence: Annotated[
        EvidenceLevel | None,
        Query(description="Only therapies whose best evidence is at least this strong."),
    ] = None,
    injectate: Annotated[str | None, slug_filter("Only therapies that inject this.")] = None,
) -> Response:
    """For a condition: every therapy with its injectates, outcomes and side effects."""
    filters: dict[str, Any] = {"injectate": injectate}
    if min_evidence is not None:
        filters["max_rank"] = EVIDENCE_RANK[min_evidence]
    values = {name: value for name, value in filters.items() if value is not None}
    return await run_read(request, condition_therapies_page, request, page, slug, values)


CONDITION_KEY = Prepared(
    select(
        CONDITIONS.c.id, response_body(record(ConditionSummary, CONDITIONS)).label("summary")
    ).where(CONDITIONS.c.slug == bindparam("slug"))
)


def condition_therapies_page(
    connection: Connection, request: Request, page: PageParams, slug: str, filters: dict[str, Any]
) -> Response:
    """The page of the condition's therapies matching `filters` (the bound values of
    `condition_therapy_statement`), written by the database (app/json_reads.py)."""
    condition = CONDITION_KEY.first(connection, slug=slug)
    if condition is None:
        raise NotFound(f"No condition with slug '{slug}'.")
    statement = condition_therapy_statement(frozenset(filters))
    values = {"condition_id": condition.id, **filters}
    found = statement.first(connection, **values, limit=page.limit, offset=page.offset)
    assert found is not None
    return page_response(
        request,
        found.items,
        total=found.total,
        params=page,
        condition=orjson.Fragment(condition.summary),
    )


_THERAPY = THERAPIES.alias("condition_therapy")
"""A therapy listed for the condition: an alias, since its lists join `therapies` too."""


def _strongest_outcome(column: Any) -> Any:
    """`column` of the therapy's strongest outcome for the condition itself (null if none)."""
    return (
        select(column)
        .where(
            OUTCOMES.c.therapy_id == _THERAPY.c.id,
            OUTCOMES.c.condition_id == bindparam("condition_id"),
        )
        .order_by(OUTCOMES.c.evidence_rank, OUTCOMES.c.slug)
        .limit(1)
        .scalar_subquery()
    )


@functools.lru_cache(maxsize=8)
def condition_therapy_statement(filters: frozenset[str]) -> Prepared:
    """For one combination of filters: a page of ConditionTherapy items as JSON (`items`), and
    the count (`total`), in one statement.

    A therapy is listed when a source names it for the condition (an indication) or reports an
    outcome for it there. Its outcomes are those for the condition, then those stated for no
    condition; its best evidence level counts only the first, so a general claim or review of
    the therapy is listed but does not raise its level here. Strongest evidence first.
    """
    here: Any = bindparam("condition_id")
    uses_here = or_(INJECTATE_USES.c.condition_id.is_(None), INJECTATE_USES.c.condition_id == here)
    outcomes_here = or_(OUTCOMES.c.condition_id == here, OUTCOMES.c.condition_id.is_(None))
    best_rank = _strongest_outcome(OUTCOMES.c.evidence_rank)
    therapy_ids = union(
        select(INDICATIONS.c.therapy_id).where(INDICATIONS.c.condition_id == here),
        select(OUTCOMES.c.therapy_id).where(OUTCOMES.c.condition_id == here),
    )
    query = select(_THERAPY.c.id).where(_THERAPY.c.id.in_(therapy_ids))
    if "injectate" in filters:
        query = query.where(
            exists().where(
                INJECTATE_USES.c.therapy_id == _THERAPY.c.id,
                uses_here,
                INJECTATE_USES.c.injectate_id == INJECTATES.c.id,
                INJECTATES.c.slug == bindparam("injectate"),
            )
        )
    if "max_rank" in filters:
        query = query.where(best_rank <= bindparam("max_rank"))
    of_therapy = {
        "indications": json_reads.indications(
            INDICATIONS.c.therapy_id == _THERAPY.c.id, INDICATIONS.c.condition_id == here
        ),
        "injectates": json_reads.injectate_uses(
            INJECTATE_USES.c.therapy_id == _THERAPY.c.id, uses_here
        ),
        "outcomes": array(
            json_reads.outcome_item(),
            json_reads.outcomes_query().where(
                OUTCOMES.c.therapy_id == _THERAPY.c.id, outcomes_here
            ),
            OUTCOMES.c.evidence_rank,
            OUTCOMES.c.condition_id.is_(None),
            OUTCOMES.c.slug,
        ),
        "side_effects": json_reads.side_effect_reports(
            SIDE_EFFECT_REPORTS.c.therapy_id == _THERAPY.c.id
        ),
    }
    item = record(
        ConditionTherapy,
        _THERAPY,
        therapy=record(TherapySummary, _THERAPY),
        best_evidence_level=_strongest_outcome(OUTCOMES.c.evidence_level),
        **{name: correlated(items, _THERAPY) for name, items in of_therapy.items()},
    )
    order = [func.coalesce(best_rank, len(EVIDENCE_RANK)), _THERAPY.c.name, _THERAPY.c.id]
    return Prepared(page_of(item, select(_THERAPY.c.id), _THERAPY.c.id, query, *order))


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=ConditionDetail, responses=CREATE_ERRORS)
def create_condition(
    request: Request, response: Response, body: ConditionCreate, session: SessionDep, key: EditorDep
) -> ConditionDetail:
    """Create a condition."""
    written = create_record(session, CONDITION, body, actor=key)
    location = request.app.url_path_for("read_condition", slug=written.record)
    publish(request, written, response, location=location)
    return read_condition(written.record, session, response)


@router.patch(
    "/{slug}",
    response_model=ConditionDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(ConditionCreate),
)
def update_condition(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> ConditionDetail:
    """Change some fields of a condition (JSON merge patch; needs If-Match)."""
    written = update_record(session, CONDITION, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_condition(written.record, session, response)


@router.put("/{slug}", response_model=ConditionDetail, responses=CHANGE_ERRORS)
def replace_condition(
    request: Request,
    response: Response,
    slug: str,
    body: ConditionCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> ConditionDetail:
    """Replace a condition with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session, CONDITION, slug, replacement=body, if_match=if_match, actor=key
    )
    publish(request, written, response)
    return read_condition(written.record, session, response)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_condition(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete a condition (409 while indications, protocols or outcomes cite it); needs If-Match."""
    publish(request, delete_record(session, CONDITION, slug, if_match=if_match, actor=key))
