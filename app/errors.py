"""One error shape for every error: RFC 9457 problem details (`application/problem+json`).

Handlers raise typed errors that carry their status; one handler per family renders them. No
stack trace, SQL or file path ever reaches a client: unexpected errors are logged server-side and
answered with a plain 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "/problems/"


class InvalidParam(BaseModel):
    name: str = Field(description="Where the problem is: a query parameter, or a body field path.")
    reason: str
    location: str = Field(description="query, path, header or body.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=["/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No therapy with slug 'foo'."])
    instance: str | None = Field(default=None, examples=["/v1/therapies/foo"])
    invalid_params: list[InvalidParam] | None = None


class ApiError(Exception):
    """An error the client can act on. Subclasses fix the status and the problem type."""

    status = HTTPStatus.BAD_REQUEST
    problem_type = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        invalid_params: Sequence[InvalidParam] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.invalid_params = list(invalid_params) if invalid_params else None
        self.headers = headers


class NotFound(ApiError):
    status = HTTPStatus.NOT_FOUND
    problem_type = "not-found"


class Conflict(ApiError):
    status = HTTPStatus.CONFLICT
    problem_type = "conflict"


class InvalidRequest(ApiError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    problem_type = "validation-error"


class Unauthorized(ApiError):
    """No API key, or one the server does not know; carries `WWW-Authenticate`."""

    status = HTTPStatus.UNAUTHORIZED
    problem_type = "unauthorized"


class Forbidden(ApiError):
    """A known key that may not do this: revoked, or its role is too low."""

    status = HTTPStatus.FORBIDDEN
    problem_type = "forbidden"


class PreconditionFailed(ApiError):
    """`If-Match` names a version of the record that is no longer current."""

    status = HTTPStatus.PRECONDITION_FAILED
    problem_type = "precondition-failed"


class PreconditionRequired(ApiError):
    """A write that could overwrite someone's edit came without `If-Match`."""

    status = HTTPStatus.PRECONDITION_REQUIRED
    problem_type = "precondition-required"


def problem_response(
    status: int,
    detail: str,
    *,
    problem_type: str | None = None,
    instance: str | None = None,
    invalid_params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    phrase = HTTPStatus(status).phrase
    slug = problem_type or phrase.lower().replace(" ", "-").replace("'", "")
    body = Problem(
        type=PROBLEM_BASE + slug,
        title=phrase,
        status=status,
        detail=detail,
        instance=instance,
        invalid_params=invalid_params,
    )
    return Response(
        orjson.dumps(body.model_dump(mode="json", exclude_none=True)),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def json_path(loc: Iterable[int | str]) -> str:
    """A location as a JSON path: `("therapies", 1, "slug")` -> `therapies[1].slug`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "$"


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


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Starlette re-raises the error after this answer; the request guard (app/request_guard.py)
    # logs it once, with the request id.
    return problem_response(500, "The server could not answer this request.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry that declares these problem statuses in the OpenAPI document."""
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
