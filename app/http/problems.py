"""Errors on the wire: FastAPI's and Starlette's own errors, and the typed errors of
app/errors.py, all answered as one problem+json body (RFC 9457). No stack trace, SQL or file
path ever reaches a client: an unexpected error is logged by the request guard and answered
with a plain 500. A database fault a client can wait out (busy, read-only, unreachable, its
file changed) is a 503 with `Retry-After`, named by app/store/engine.py's `database_fault`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import ApiError, InvalidParam, NotFound, json_path, problem_response
from app.http.pagination import absolute_url
from app.reads.slug_history import moved_path
from app.store.engine import DATABASE_ERRORS, database_fault, run_read

fault_log = logging.getLogger("app.errors")
Handler = Callable[[Request, Exception], Awaitable[Response]]


def _location(loc: tuple[int | str, ...]) -> tuple[str, str]:
    where = str(loc[0]) if loc else "body"
    return where, json_path(loc[1:]) if len(loc) > 1 else where


def validation_params(errors: Sequence[Any]) -> list[InvalidParam]:
    params = []
    for error in errors:
        where, name = _location(tuple(error.get("loc", ())))
        params.append(
            InvalidParam(name=name, reason=str(error.get("msg", "invalid")), location=where)
        )
    return params


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if isinstance(exc, NotFound) and request.method in ("GET", "HEAD"):
        moved = await run_read(request, moved_path, request.url.path)
        if moved is not None:
            return _redirect(request, moved)
    return problem_response(
        exc.status,
        exc.detail,
        problem_type=exc.problem_type,
        instance=request.url.path,
        invalid_params=exc.invalid_params,
        headers=exc.headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    params = validation_params(exc.errors())
    names = ", ".join(sorted({p.name for p in params}))
    return problem_response(
        422,
        f"Invalid request: {names}.",
        problem_type="validation-error",
        instance=request.url.path,
        invalid_params=params,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}."
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method of every route on this path: Starlette's 405 names only the first route's
    (a path with GET and PATCH is two routes)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        path_regex = getattr(route, "path_regex", None)
        if route.methods and path_regex is not None and path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _database_error(request: Request, exc: Exception) -> Response:
    fault = database_fault(exc)
    if fault is None:
        raise exc  # a bug, not a fault: the last-resort 500, logged with its trace
    fault_log.warning(
        "database fault on %s %s: %s (%s: %s)",
        request.method,
        request.url.path,
        fault.problem_type,
        type(exc).__name__,
        " ".join(str(getattr(exc, "orig", None) or exc).split())[:300],
    )
    return await _api_error(request, fault)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the error after this answer; the request guard (app/http/request_guard.py)
    # logs it once, with the request id.
    return problem_response(500, "The server could not answer this request.")


FHIR_PATHS = "/fhir/"
ISSUE_CODES = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    422: "invalid",
    429: "throttled",
    503: "transient",
}
"""FHIR's issue type for a status; anything else is `exception`."""


def _fhir_aware(handler: Handler) -> Handler:
    """The handler, except that under /fhir/ its problem is answered as an OperationOutcome
    (application/fhir+json), as FHIR clients expect, with the same status and headers."""

    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not request.url.path.startswith(FHIR_PATHS):
            return response
        problem = orjson.loads(bytes(response.body))
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": ISSUE_CODES.get(response.status_code, "exception"),
                    "diagnostics": problem.get("detail") or problem.get("title", "Error"),
                }
            ],
        }
        headers = {
            key: value
            for key, value in response.headers.items()
            if key not in ("content-type", "content-length")
        }
        return Response(
            orjson.dumps(outcome),
            status_code=response.status_code,
            media_type="application/fhir+json",
            headers=headers,
        )

    return handle


def _redirect(request: Request, path: str) -> Response:
    """308 Permanent Redirect to a renamed record's current URL (its query kept)."""
    query = request.url.query
    location = absolute_url(request, f"{path}?{query}" if query else path)
    return problem_response(
        308,
        f"This record is now at {path}.",
        problem_type="moved",
        headers={"Location": location},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _fhir_aware(_api_error))
    app.add_exception_handler(RequestValidationError, _fhir_aware(_validation_error))
    app.add_exception_handler(StarletteHTTPException, _fhir_aware(_http_error))
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _fhir_aware(_database_error))
    app.add_exception_handler(Exception, _fhir_aware(_unexpected_error))
