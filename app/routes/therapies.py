"""/v1/therapies: the treatments, with what they treat, inject, achieve and risk."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from sqlalchemy import Connection
from sqlmodel import Session, select

from app import json_reads
from app.auth import EditorDep
from app.db import SessionDep, run_read
from app.errors import NotFound, problem_responses
from app.json_reads import (
    FACTS,
    INDICATIONS,
    INJECTATE_USES,
    OUTCOMES,
    SIDE_EFFECT_REPORTS,
    THERAPIES,
    THERAPY_SOURCES,
    Prepared,
    bindparam,
    correlated,
    json_response,
    record,
    response_body,
)
from app.models import (
    Condition,
    Indication,
    Injectate,
    InjectateUse,
    SideEffect,
    SideEffectReport,
    Therapy,
    TherapyDetail,
    TherapyPublic,
    TherapyWrite,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.writes import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    THERAPY,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/therapies", tags=["therapies"], route_class=StrictQueryRoute)

TherapySort = Literal["name", "-name", "slug", "-slug", "updated_at", "-updated_at"]


@router.get("", response_model=Page[TherapyPublic], responses=problem_responses(422))
def list_therapies(
    request: Request,
    session: SessionDep,
    page: PageDep,
    condition: Annotated[str | None, slug_filter("Only therapies used for this condition.")] = None,
    injectate: Annotated[str | None, slug_filter("Only therapies that inject this.")] = None,
    side_effect: Annotated[str | None, slug_filter("Only therapies with this side effect.")] = None,
    sort: TherapySort = "name",
) -> dict[str, Any]:
    """List therapies, optionally those for a condition or using an injectate."""
    statement = select(Therapy)
    if condition is not None:
        statement = statement.where(
            Therapy.id.in_(  # type: ignore[union-attr]
                select(Indication.therapy_id)
                .join(Condition, Indication.condition_id == Condition.id)  # type: ignore[arg-type]
                .where(Condition.slug == condition)
            )
        )
    if injectate is not None:
        statement = statement.where(
            Therapy.id.in_(  # type: ignore[union-attr]
                select(InjectateUse.therapy_id)
                .join(Injectate, InjectateUse.injectate_id == Injectate.id)  # type: ignore[arg-type]
                .where(Injectate.slug == injectate)
            )
        )
    if side_effect is not None:
        statement = statement.where(
            Therapy.id.in_(  # type: ignore[union-attr]
                select(SideEffectReport.therapy_id)
                .join(SideEffect, SideEffectReport.side_effect_id == SideEffect.id)  # type: ignore[arg-type]
                .where(SideEffect.slug == side_effect)
            )
        )
    rows, total = fetch_page(session, statement, order_by=order_by(Therapy, sort), params=page)
    return make_page(request, rows, total=total, params=page)


_THERAPY = THERAPIES.alias("detail_therapy")
"""The detail's therapy row: an alias, since the lists join `therapies` themselves."""
_OF_THERAPY = {
    "indications": json_reads.indications(INDICATIONS.c.therapy_id == _THERAPY.c.id),
    "injectates": json_reads.injectate_uses(INJECTATE_USES.c.therapy_id == _THERAPY.c.id),
    "side_effects": json_reads.side_effect_reports(
        SIDE_EFFECT_REPORTS.c.therapy_id == _THERAPY.c.id
    ),
    "facts": json_reads.facts(FACTS.c.therapy_id == _THERAPY.c.id),
    "outcomes": json_reads.outcomes(OUTCOMES.c.therapy_id == _THERAPY.c.id),
    "sources": json_reads.therapy_sources(THERAPY_SOURCES.c.therapy_id == _THERAPY.c.id),
}
THERAPY_DETAIL = Prepared(
    select(
        _THERAPY.c.id,
        _THERAPY.c.slug,
        _THERAPY.c.version,
        response_body(
            record(
                TherapyDetail,
                _THERAPY,
                **{name: correlated(items, _THERAPY) for name, items in _OF_THERAPY.items()},
            )
        ).label("detail"),
    ).where(_THERAPY.c.slug == bindparam("slug"))
)
"""A therapy's key (for its ETag) and its TherapyDetail, in one statement."""


@router.get("/{slug}", response_model=TherapyDetail, responses=problem_responses(404, 422))
async def read_therapy(request: Request, slug: str) -> Response:
    """One therapy with its conditions, injectates, side effects, outcomes, facts and sources."""
    return await run_read(request, therapy_detail, slug)


def therapy_detail(connection: Connection | Session, slug: str) -> Response:
    """The therapy's TherapyDetail as the database writes it (app/json_reads.py)."""
    found = THERAPY_DETAIL.first(connection, slug=slug)
    if found is None:
        raise NotFound(f"No therapy with slug '{slug}'.")
    return json_response(found.detail, headers={"ETag": etag_of(THERAPY, found)})


def written_therapy(slug: str, session: Session) -> TherapyDetail:
    """A write's answer: the therapy as it now reads (its ETag is set by `publish`)."""
    return TherapyDetail.model_validate_json(bytes(therapy_detail(session, slug).body))


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=TherapyDetail, responses=CREATE_ERRORS)
def create_therapy(
    request: Request, response: Response, body: TherapyWrite, session: SessionDep, key: EditorDep
) -> TherapyDetail:
    """Create a therapy; add its links under it (indications, injectate uses ...)."""
    written = create_record(session, THERAPY, body, actor=key)
    location = request.app.url_path_for("read_therapy", slug=written.record)
    publish(request, written, response, location=location)
    return written_therapy(written.record, session)


@router.patch(
    "/{slug}",
    response_model=TherapyDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(TherapyWrite),
)
def update_therapy(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> TherapyDetail:
    """Change some fields of a therapy (JSON merge patch; needs If-Match)."""
    written = update_record(session, THERAPY, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return written_therapy(written.record, session)


@router.put("/{slug}", response_model=TherapyDetail, responses=CHANGE_ERRORS)
def replace_therapy(
    request: Request,
    response: Response,
    slug: str,
    body: TherapyWrite,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> TherapyDetail:
    """Replace a therapy with the body, as a seed entry (needs If-Match)."""
    written = update_record(session, THERAPY, slug, replacement=body, if_match=if_match, actor=key)
    publish(request, written, response)
    return written_therapy(written.record, session)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_therapy(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete a therapy and its links (409 while outcomes cite it); needs If-Match."""
    publish(request, delete_record(session, THERAPY, slug, if_match=if_match, actor=key))
