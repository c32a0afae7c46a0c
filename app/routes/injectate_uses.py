"""/v1/therapies/{slug}/injectate-uses: how a therapy uses an injectate, per source.

A sub-resource of its therapy, identified by its integer `id` (also shown on the therapy's
detail). Reads are public; writes need an editor key and, to change or delete, `If-Match`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import InjectateUse, InjectateUseCreate, InjectateUsePublic
from app.params import StrictQueryRoute
from app.queries import injectate_uses_where
from app.writes import (
    CHANGE_ERRORS,
    INJECTATE_USE,
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
    prefix="/v1/therapies/{slug}/injectate-uses", tags=["therapies"], route_class=StrictQueryRoute
)

LinkId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The injectate use's id, as the therapy lists it.")
]


@router.get("/{id}", response_model=InjectateUsePublic, responses=problem_responses(404, 422))
def read_injectate_use(
    slug: str, id: LinkId, session: SessionDep, response: Response
) -> InjectateUsePublic:
    """One injectate use of a therapy, with its ETag."""
    _, link = find_link(session, INJECTATE_USE, slug, id)
    response.headers["ETag"] = etag_of(INJECTATE_USE, link)
    return injectate_uses_where(session, InjectateUse.id == link.id)[0]


@router.post("", status_code=201, response_model=InjectateUsePublic, responses=LINK_CREATE_ERRORS)
def create_injectate_use(
    request: Request,
    response: Response,
    slug: str,
    body: InjectateUseCreate,
    session: SessionDep,
    key: EditorDep,
) -> InjectateUsePublic:
    """Add an injectate use to a therapy."""
    written = create_record(session, INJECTATE_USE, body, actor=key, therapy_slug=slug)
    link_id = int(written.record)
    location = request.app.url_path_for("read_injectate_use", slug=slug, id=link_id)
    publish(request, written, response, location=location)
    return read_injectate_use(slug, link_id, session, response)


@router.patch(
    "/{id}",
    response_model=InjectateUsePublic,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(InjectateUseCreate),
)
def update_injectate_use(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> InjectateUsePublic:
    """Change some fields of an injectate use (JSON merge patch; needs If-Match)."""
    written = update_record(
        session, INJECTATE_USE, id, patch=patch, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written, response)
    return read_injectate_use(slug, id, session, response)


@router.put("/{id}", response_model=InjectateUsePublic, responses=CHANGE_ERRORS)
def replace_injectate_use(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    body: InjectateUseCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> InjectateUsePublic:
    """Replace an injectate use with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session,
        INJECTATE_USE,
        id,
        replacement=body,
        if_match=if_match,
        actor=key,
        therapy_slug=slug,
    )
    publish(request, written, response)
    return read_injectate_use(slug, id, session, response)


@router.delete("/{id}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_injectate_use(
    request: Request,
    slug: str,
    id: LinkId,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> None:
    """Remove an injectate use from a therapy (needs If-Match)."""
    written = delete_record(
        session, INJECTATE_USE, id, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written)
