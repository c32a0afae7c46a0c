"""/v1/injectates: what is injected, its components and how each therapy uses it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from sqlmodel import select

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import (
    Injectate,
    InjectateCreate,
    InjectateDetail,
    InjectatePublic,
    InjectateSource,
    InjectateUse,
    Therapy,
)
from app.pagination import Page, fetch_page, make_page, order_by
from app.params import PageDep, StrictQueryRoute, slug_filter
from app.queries import get_by_slug, injectate_uses_where, row_fields, sources_of
from app.writes import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    INJECTATE,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(prefix="/v1/injectates", tags=["injectates"], route_class=StrictQueryRoute)

InjectateSort = Literal["name", "-name", "slug", "-slug"]


@router.get("", response_model=Page[InjectatePublic], responses=problem_responses(422))
def list_injectates(
    request: Request,
    session: SessionDep,
    page: PageDep,
    therapy: Annotated[str | None, slug_filter("Only injectates this therapy uses.")] = None,
    sort: InjectateSort = "name",
) -> dict[str, Any]:
    """List injectates, optionally those a therapy uses."""
    statement = select(Injectate)
    if therapy is not None:
        statement = statement.where(
            Injectate.id.in_(  # type: ignore[union-attr]
                select(InjectateUse.injectate_id)
                .join(Therapy, InjectateUse.therapy_id == Therapy.id)  # type: ignore[arg-type]
                .where(Therapy.slug == therapy)
            )
        )
    rows, total = fetch_page(session, statement, order_by=order_by(Injectate, sort), params=page)
    return make_page(request, rows, total=total, params=page)


@router.get("/{slug}", response_model=InjectateDetail, responses=problem_responses(404, 422))
def read_injectate(slug: str, session: SessionDep, response: Response) -> InjectateDetail:
    """One injectate with the therapies that use it and their protocols."""
    injectate = get_by_slug(session, Injectate, slug, label="injectate")
    response.headers["ETag"] = etag_of(INJECTATE, injectate)
    uses = injectate_uses_where(session, InjectateUse.injectate_id == injectate.id)
    therapies = {use.therapy.slug: use.therapy for use in uses}
    return InjectateDetail.model_validate(
        row_fields(injectate, InjectateDetail)
        | {
            "therapies": sorted(therapies.values(), key=lambda therapy: therapy.name),
            "uses": uses,
            "sources": sources_of(
                session, InjectateSource, InjectateSource.injectate_id, injectate.id
            ),
        }
    )


# --------------------------------------------------------------------------------------------
# Writes: editors and admins (app/auth.py), validated as the seed is (app/writes.py)
# --------------------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=InjectateDetail, responses=CREATE_ERRORS)
def create_injectate(
    request: Request, response: Response, body: InjectateCreate, session: SessionDep, key: EditorDep
) -> InjectateDetail:
    """Create an injectate."""
    written = create_record(session, INJECTATE, body, actor=key)
    location = request.app.url_path_for("read_injectate", slug=written.record)
    publish(request, written, response, location=location)
    return read_injectate(written.record, session, response)


@router.patch(
    "/{slug}",
    response_model=InjectateDetail,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(InjectateCreate),
)
def update_injectate(
    request: Request,
    response: Response,
    slug: str,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> InjectateDetail:
    """Change some fields of an injectate (JSON merge patch; needs If-Match)."""
    written = update_record(session, INJECTATE, slug, patch=patch, if_match=if_match, actor=key)
    publish(request, written, response)
    return read_injectate(written.record, session, response)


@router.put("/{slug}", response_model=InjectateDetail, responses=CHANGE_ERRORS)
def replace_injectate(
    request: Request,
    response: Response,
    slug: str,
    body: InjectateCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> InjectateDetail:
    """Replace an injectate with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session, INJECTATE, slug, replacement=body, if_match=if_match, actor=key
    )
    publish(request, written, response)
    return read_injectate(written.record, session, response)


@router.delete("/{slug}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_injectate(
    request: Request, slug: str, session: SessionDep, key: EditorDep, if_match: IfMatch = None
) -> None:
    """Delete an injectate (409 while a therapy's protocol uses it); needs If-Match."""
    publish(request, delete_record(session, INJECTATE, slug, if_match=if_match, actor=key))
