"""/v1/therapies/{slug}/facts: statements about a therapy, and who makes them.

A sub-resource of its therapy, identified by its integer `id` (also shown on the therapy's
detail). Reads are public; writes need an editor key and, to change or delete, `If-Match`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from app.auth import EditorDep
from app.db import SessionDep
from app.errors import problem_responses
from app.models import Fact, FactCreate, FactPublic
from app.params import StrictQueryRoute
from app.queries import facts_where
from app.writes import (
    CHANGE_ERRORS,
    FACT,
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
    prefix="/v1/therapies/{slug}/facts", tags=["therapies"], route_class=StrictQueryRoute
)

LinkId = Annotated[
    int, Path(ge=1, le=MAX_ID, description="The fact's id, as the therapy lists it.")
]


@router.get("/{id}", response_model=FactPublic, responses=problem_responses(404, 422))
def read_fact(slug: str, id: LinkId, session: SessionDep, response: Response) -> FactPublic:
    """One fact of a therapy, with its ETag."""
    _, link = find_link(session, FACT, slug, id)
    response.headers["ETag"] = etag_of(FACT, link)
    return facts_where(session, Fact.id == link.id)[0]


@router.post("", status_code=201, response_model=FactPublic, responses=LINK_CREATE_ERRORS)
def create_fact(
    request: Request,
    response: Response,
    slug: str,
    body: FactCreate,
    session: SessionDep,
    key: EditorDep,
) -> FactPublic:
    """Add a fact to a therapy."""
    written = create_record(session, FACT, body, actor=key, therapy_slug=slug)
    link_id = int(written.record)
    location = request.app.url_path_for("read_fact", slug=slug, id=link_id)
    publish(request, written, response, location=location)
    return read_fact(slug, link_id, session, response)


@router.patch(
    "/{id}",
    response_model=FactPublic,
    responses=CHANGE_ERRORS,
    openapi_extra=merge_patch_body(FactCreate),
)
def update_fact(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    patch: MergePatch,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> FactPublic:
    """Change some fields of a fact (JSON merge patch; needs If-Match)."""
    written = update_record(
        session, FACT, id, patch=patch, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written, response)
    return read_fact(slug, id, session, response)


@router.put("/{id}", response_model=FactPublic, responses=CHANGE_ERRORS)
def replace_fact(
    request: Request,
    response: Response,
    slug: str,
    id: LinkId,
    body: FactCreate,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> FactPublic:
    """Replace a fact with the body, as a seed entry (needs If-Match)."""
    written = update_record(
        session, FACT, id, replacement=body, if_match=if_match, actor=key, therapy_slug=slug
    )
    publish(request, written, response)
    return read_fact(slug, id, session, response)


@router.delete("/{id}", status_code=204, response_class=Response, responses=CHANGE_ERRORS)
def delete_fact(
    request: Request,
    slug: str,
    id: LinkId,
    session: SessionDep,
    key: EditorDep,
    if_match: IfMatch = None,
) -> None:
    """Remove a fact from a therapy (needs If-Match)."""
    written = delete_record(session, FACT, id, if_match=if_match, actor=key, therapy_slug=slug)
    publish(request, written)
