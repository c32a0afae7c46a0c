"""/v1/therapies/{slug}/indications: what a therapy is used for: a condition, as one source says.

A sub-resource of its therapy, identified by its integer `id` (also shown on the therapy's
detail). Reads are public; writes need an editor key and, to change or delete, `If-Match`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import Indication, IndicationCreate, IndicationPublic
from app.params import StrictQueryRoute
from app.queries import indications_where
from app.writes import (
    CHANGE_ERRORS,
    INDICATION,
    LINK_CREATE_ERRORS,
    MAX_ID,
    IfMatch,
    MergePatch,
    create_record,
    delete_record,
    etag_of,
    find_link,
    merge_patch_body,
    publish,
    update_record,
)

router = APIRouter(
    prefix="/v1/therapies/{slug}/indications", tags=["therapies"], route_class=StrictQueryRoute
)

LinkId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The indication's id, as the therapy lists it.")
]


@router.get("/{id}", response_model=IndicationPublic, responses=problem_responses(404, 422))
def read_indication(
    slug: str, id: LinkId, session: SessionDep, response: Response
) -> IndicationPublic:
    """One indication of a therapy, with its ETag."""
    _, link = find_link(session, INDICATION, slug, id)
    response.headers["ETag"] = etag_of(INDICATION, link)
    return indications_where(session, Indication.id == link.id)[0]


@router.post("", status_code=201, response_model=IndicationPublic, responses=LINK_CREATE_ERRORS)
def create_indication(
    request: Request,
    response: Response,
    slug: str,
    body: IndicationCreate,
    session: SessionDep,
    key: EditorDep,
) -> IndicationPublic:
    """Add an indication to a therapy."""
    written = create_record(session, INDICATION, body, actor=key, therapy_slug=slug)
    link_id = int(written.record)
    location = request.app.url_path_for("read_indication", slug=slug, id=link_id)
    publish(request, written, response, location=location)
    return read_indication(slug, link_id, session, response)


@router.patch(
    "/{id}",
    response_model=IndicationPublic,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(IndicationCreate),
)
def update_indication(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> IndicationPublic:
    """Change some fields of an indication (JSON merge patch; needs If-Match)."""
    written = update_record(
        session, INDICATION, id, patch=patch, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written, response)
    return read_indication(slug, id, session, response)


@router.put("/{id}", response_model=IndicationPublic, responses=CHANGE_ERRORS)
def replace_indication(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    body: IndicationCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> IndicationPublic:
    """Replace an indication with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session, INDICATION, id, replacement=body, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written, response)
    return read_indication(slug, id, session, response)


@router.delete("/{id}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_indication(
    request: Request,
    slug: str,
    id: LinkId,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> None:
    """Remove an indication from a therapy (needs If-Match)."""
    written = delete_record(
        session, INDICATION, id, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written)
