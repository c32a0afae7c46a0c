"""The routes every record type shares, built once: read one by its key, and the four writes.

A resource module (app/routes/conditions.py ...) declares its lists and any route of its own,
and calls `add_detail_route` and `add_write_routes` with a `RecordRoutes`: the write kind
(app/writes/service.py), the body a POST or PUT carries, the detail model it answers with, and
the read that writes that detail (app/reads/). The four links of a therapy (indications,
injectate uses, side-effect reports, facts) are records under their therapy's path, keyed by
id: app/routes/links.py builds them with `add_link_routes`.

Every handler keeps its own name (`read_condition`, `create_condition` ... the operationIds),
summary and parameters, so the OpenAPI document describes each route as if written by hand.

This module does not use `from __future__ import annotations`: the handlers' annotations are
the classes given in the spec, which FastAPI must see as objects, not as names.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import SQLModel

from app.errors import problem_responses
from app.http.prebuilt import PrebuiltJSON, detail_response
from app.http.write_protocol import (
    CHANGE_ERRORS,
    CREATE_ERRORS,
    LINK_CREATE_ERRORS,
    MAX_ID,
    IfMatch,
    MergePatch,
    merge_patch_body,
    publish,
    written_response,
)
from app.store.engine import SessionDep, run_read
from app.writes.keys import EditorDep
from app.writes.service import Kind, create_record, delete_record, etag_of, update_record


@dataclass(frozen=True)
class Docs:
    """Each handler's docstring: its summary line in the OpenAPI document."""

    read: str
    create: str
    update: str
    replace: str
    delete: str


@dataclass(frozen=True)
class RecordRoutes:
    kind: Kind
    name: str
    """The handlers' suffix: `condition` -> read_condition, create_condition ..."""
    body: type[SQLModel]
    detail: type[SQLModel]
    read: Callable[..., Any]
    """(connection, slug) -> the detail row; for a link (connection, label, slug, id)."""
    docs: Docs
    page: str | None = None
    """The record's HTML page, `/conditions` for `/conditions/{slug}` (app/routes/pages.py):
    its JSON detail links to it in a `Link` header."""


PAGE_LINK_DOC = (
    'RFC 8288 link to the record\'s HTML page: `</conditions/{slug}>; rel="alternate"; '
    'type="text/html"`.'
)


def add_detail_route(router: APIRouter, spec: RecordRoutes) -> None:
    """GET /{slug}: one record, as the database writes it, with its ETag."""
    kind, read = spec.kind, spec.read

    page = spec.page

    async def read_record(request: Request, slug: str) -> Response:
        found = await run_read(request, read, slug)
        response = detail_response(found, etag=etag_of(kind, found))
        if page is not None:
            response.headers["link"] = f'<{page}/{slug}>; rel="alternate"; type="text/html"'
        return response

    extra = None
    if page is not None:
        header = {"description": PAGE_LINK_DOC, "schema": {"type": "string"}}
        extra = {"responses": {"200": {"headers": {"Link": header}}}}
    _route(
        router,
        "GET",
        "/{slug}",
        read_record,
        spec,
        "read",
        responses=(404, 422),
        openapi_extra=extra,
    )


def add_write_routes(router: APIRouter, spec: RecordRoutes) -> None:
    """POST, PATCH /{slug}, PUT /{slug}, DELETE /{slug} for a record type with a slug."""
    kind, read, body_model = spec.kind, spec.read, spec.body
    read_name = f"read_{spec.name}"

    def create(request: Request, body: body_model, session: SessionDep, key: EditorDep) -> Response:  # type: ignore[valid-type]
        written = create_record(session, kind, body, actor=key)
        location = request.app.url_path_for(read_name, slug=written.record)
        found = read(session, written.record)
        return written_response(request, written, found, status_code=201, location=location)

    def change(payload_type: Any, mode: str) -> Callable[..., Response]:
        """PATCH (`mode` patch: a merge patch) or PUT (replacement: a whole body)."""

        def handler(
            request: Request,
            slug: str,
            payload: payload_type,
            session: SessionDep,
            key: EditorDep,
            if_match: IfMatch = None,
        ) -> Response:
            written = update_record(
                session, kind, slug, if_match=if_match, actor=key, **{mode: payload}
            )
            return written_response(request, written, read(session, written.record))

        return handler

    def delete(
        request: Request,
        response: Response,
        slug: str,
        session: SessionDep,
        key: EditorDep,
        if_match: IfMatch = None,
    ) -> None:
        written = delete_record(session, kind, slug, if_match=if_match, actor=key)
        publish(request, written, response)

    update, replace = change(MergePatch, "patch"), change(body_model, "replacement")
    _writes(router, spec, "/{slug}", create, update, replace, delete, CREATE_ERRORS)


def add_link_routes(router: APIRouter, spec: RecordRoutes, id_description: str) -> None:
    """GET, PATCH, PUT, DELETE /{id} and POST for a link under its therapy's path
    (`/v1/therapies/{slug}/...`), keyed by its integer id."""
    kind, read, body_model, label = spec.kind, spec.read, spec.body, spec.kind.label
    read_name = f"read_{spec.name}"
    LinkId = Annotated[int, Path(ge=1, le=MAX_ID, description=id_description)]

    async def read_link(request: Request, slug: str, id: LinkId) -> Response:
        found = await run_read(request, read, label, slug, id)
        return detail_response(found, etag=etag_of(kind, found))

    def create(
        request: Request,
        slug: str,
        body: body_model,  # type: ignore[valid-type]
        session: SessionDep,
        key: EditorDep,
    ) -> Response:
        written = create_record(session, kind, body, actor=key, therapy_slug=slug)
        link_id = int(written.record)
        location = request.app.url_path_for(read_name, slug=slug, id=link_id)
        found = read(session, label, slug, link_id)
        return written_response(request, written, found, status_code=201, location=location)

    def change(payload_type: Any, mode: str) -> Callable[..., Response]:
        """PATCH (`mode` patch: a merge patch) or PUT (replacement: a whole body)."""

        def handler(
            request: Request,
            slug: str,
            id: LinkId,
            payload: payload_type,
            session: SessionDep,
            key: EditorDep,
            if_match: IfMatch = None,
        ) -> Response:
            written = update_record(
                session,
                kind,
                id,
                if_match=if_match,
                actor=key,
                therapy_slug=slug,
                **{mode: payload},
            )
            return written_response(request, written, read(session, label, slug, id))

        return handler

    def delete(
        request: Request,
        response: Response,
        slug: str,
        id: LinkId,
        session: SessionDep,
        key: EditorDep,
        if_match: IfMatch = None,
    ) -> None:
        written = delete_record(session, kind, id, if_match=if_match, actor=key, therapy_slug=slug)
        publish(request, written, response)

    update, replace = change(MergePatch, "patch"), change(body_model, "replacement")
    _route(router, "GET", "/{id}", read_link, spec, "read", responses=(404, 422))
    _writes(router, spec, "/{id}", create, update, replace, delete, LINK_CREATE_ERRORS)


def _writes(
    router: APIRouter,
    spec: RecordRoutes,
    path: str,
    create: Callable[..., Any],
    update: Callable[..., Any],
    replace: Callable[..., Any],
    delete: Callable[..., Any],
    create_errors: dict[int | str, dict[str, Any]],
) -> None:
    _route(router, "POST", "", create, spec, "create", status_code=201, errors=create_errors)
    _route(
        router,
        "PATCH",
        path,
        update,
        spec,
        "update",
        openapi_extra=merge_patch_body(spec.body),
    )
    _route(router, "PUT", path, replace, spec, "replace")
    router.add_api_route(
        path,
        delete,
        methods=["DELETE"],
        name=f"delete_{spec.name}",
        description=spec.docs.delete,
        status_code=204,
        response_class=Response,
        responses=CHANGE_ERRORS,
    )


def _route(
    router: APIRouter,
    method: str,
    path: str,
    endpoint: Callable[..., Any],
    spec: RecordRoutes,
    action: str,
    *,
    status_code: int | None = None,
    responses: tuple[int, ...] | None = None,
    errors: dict[int | str, dict[str, Any]] = CHANGE_ERRORS,
    openapi_extra: dict[str, Any] | None = None,
) -> None:
    router.add_api_route(
        path,
        endpoint,
        methods=[method],
        name=f"{action}_{spec.name}",
        description=getattr(spec.docs, action),
        status_code=status_code,
        response_model=spec.detail,
        response_class=PrebuiltJSON,
        responses=problem_responses(*responses) if responses is not None else errors,
        openapi_extra=openapi_extra,
    )
