"""One error shape for every error: RFC 9457 problem details (`application/problem+json`).

Every layer raises the typed errors below, which carry their status; app/http/problems.py
renders them, and FastAPI's own errors, as this one body.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, Field

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


class ServiceUnavailable(ApiError):
    """The service cannot answer now, for a reason that passes: the client may try again after
    `Retry-After` seconds. Nothing was written."""

    status = HTTPStatus.SERVICE_UNAVAILABLE
    problem_type = "service-unavailable"
    retry_after = 5

    def __init__(self, detail: str, *, retry_after: int | None = None):
        seconds = self.retry_after if retry_after is None else retry_after
        super().__init__(detail, headers={"Retry-After": str(seconds)})


class DatabaseBusy(ServiceUnavailable):
    """A lock was held, or a statement ran, longer than the bounded wait allows."""

    problem_type = "database-busy"
    retry_after = 1


class DatabaseReadOnly(ServiceUnavailable):
    """The database takes no writes now (a read-only file or mount, a standby, or
    `default_transaction_read_only`); reads are still served."""

    problem_type = "database-read-only"
    retry_after = 30


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or opened, or its file changed under the server."""

    problem_type = "database-unavailable"
    retry_after = 5


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
