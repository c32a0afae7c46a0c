"""/v1/sources: where every statement comes from, and everything that cites each source."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import select

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    ConditionSummary,
    Fact,
    Indication,
    InjectateSummary,
    InjectateUse,
    Outcome,
    OutcomeSummary,
    SideEffectReport,
    SideEffectSummary,
    Source,
    SourceCitations,
    SourceCreate,
    SourceDetail,
    SourceKind,
    SourcePublic,
    TherapySummary,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute
from app.queries import (
    SOURCE_LINKS,
    citing,
    facts_where,
    get_by_slug,
    indications_where,
    injectate_uses_where,
    row_fields,
    side_effect_reports_where,
)
from app.writes import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    SOURCE,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/sources", tags=["sources"], route_class=StrictQueryRoute)

SourceSort = Literal["slug", "-slug", "title", "-title", "year", "-year"]


@router.get("", response_model=Page[SourcePublic], responses=problem_responses(422))
def list_sources(
    request: Request,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[SourceKind | None, Query(description="Only sources of this kind.")] = None,
    year: Annotated[int | None, Query(ge=1800, le=2100, description="Published that year.")] = None,
    sort: SourceSort = "slug",
) -> dict[str, Any]:
    """List sources, optionally by kind or year."""
    statement = select(Source)
    if kind is not None:
        statement = statement.where(Source.kind == kind)
    if year is not None:
        statement = statement.where(Source.year == year)
    rows, total = fetch_page(session, statement, order_by=order_by(Source, sort), params=page)
    return make_page(request, rows, total=total, params=page)


@router.get("/{slug}", response_model=SourceDetail, responses=problem_responses(404, 422))
def read_source(slug: str, session: SessionDep, response: Response) -> SourceDetail:
    """One source with every record that cites it."""
    source = get_by_slug(session, Source, slug, label="source")
    response.headers["ETag"] = etag_of(SOURCE, source)
    cited: dict[str, list[Any]] = {
        key: citing(session, table, link, column, source.id)
        for key, (table, link, column) in SOURCE_LINKS.items()
    }
    outcomes = session.exec(
        select(Outcome).where(Outcome.source_id == source.id).order_by(Outcome.slug)
    ).all()
    citations = SourceCitations(
        therapies=[TherapySummary.model_validate(row) for row in cited["therapies"]],
        conditions=[ConditionSummary.model_validate(row) for row in cited["conditions"]],
        injectates=[InjectateSummary.model_validate(row) for row in cited["injectates"]],
        side_effects=[SideEffectSummary.model_validate(row) for row in cited["side_effects"]],
        outcomes=[OutcomeSummary.model_validate(row) for row in outcomes],
        indications=indications_where(session, Indication.source_id == source.id),
        injectate_uses=injectate_uses_where(session, InjectateUse.source_id == source.id),
        side_effect_reports=side_effect_reports_where(
            session, SideEffectReport.source_id == source.id
        ),
        facts=facts_where(session, Fact.source_id == source.id),
    )
    return SourceDetail.model_validate(row_fields(source, SourceDetail) | {"cited_by": citations})


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=SourceDetail, responses=CREATE_ERRORS)
def create_source(
    request: Request, response: Response, body: SourceCreate, session: SessionDep, key: EditorDep
) -> SourceDetail:
    """Create a source."""
    written = create_record(session, SOURCE, body, actor=key)
    location = request.app.url_path_for("read_source", slug=written.record)
    publish(request, written, response, location=location)
    return read_source(written.record, session, response)


@router.patch(
    "/{slug}",
    response_model=SourceDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(SourceCreate),
)
def update_source(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> SourceDetail:
    """Change some fields of a source (JSON merge patch; needs If-Match)."""
    written = update_record(session, SOURCE, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_source(written.record, session, response)


@router.put("/{slug}", response_model=SourceDetail, responses=CHANGE_ERRORS)
def replace_source(
    request: Request,
    response: Response,
    slug: str,
    body: SourceCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> SourceDetail:
    """Replace a source with the body, as a seed entry (needs If-Match)."""
    written = update_record(session, SOURCE, slug, replacement=body, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_source(written.record, session, response)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_source(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete a source (409 while any record or link cites it); needs If-Match."""
    publish(request, delete_record(session, SOURCE, slug, if_match=if_match, actor=key))
