"""A write on the wire: the If-Match header, the merge-patch body, the problem statuses each
write declares, and what a committed write sets on its response (ETag, Location) and in this
process (the dataset version its caches key on). The write itself is app/writes/service.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Header, Request, Response
from sqlmodel import SQLModel

from app.errors import problem_responses
from app.http.pagination import absolute_url
from app.http.prebuilt import PrebuiltJSON
from app.writes.service import Written

CREATE_ERRORS = problem_responses(401, 403, 409, 422)
LINK_CREATE_ERRORS = problem_responses(401, 403, 404, 409, 422)
CHANGE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 428)
MAX_ID = 2**31 - 1
"""The largest key an INTEGER column holds on both engines: a larger id in a URL is a 422."""

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The record's ETag, from a GET or the last write. Required: without it the "
        "answer is 428; with an older version, 412 and nothing is written.",
    ),
]

MergePatch = Annotated[
    dict[str, Any],
    Body(
        media_type="application/merge-patch+json",
        description="A JSON merge patch (RFC 7396): the fields to change; null removes an "
        "optional field. `application/json` is accepted too.",
    ),
]


def merge_patch_body(model: type[SQLModel]) -> dict[str, Any]:
    """`openapi_extra` that documents a PATCH body as `model` with every field optional."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema.pop("required", None)
    schema["title"] = model.__name__.removesuffix("Create").removesuffix("Write") + "Patch"
    return {"requestBody": {"content": {"application/merge-patch+json": {"schema": schema}}}}


DATASET_VERSION_HEADER = "Dataset-Version"
"""On a write's answer: the dataset version it produced. A client that sends it back on its
reads as `Min-Dataset-Version` gets nothing older, through any process or replica."""


def publish(request: Request, written: Written, response: Response | None = None) -> None:
    """After the commit: this process's caches move at once (other processes see the new
    dataset version within VERSION_TTL, or at once for a client that sends it back), and
    `response`, when given, carries the version in `Dataset-Version`."""
    if written.dataset_version is not None:
        request.app.state.dataset_version.set(written.dataset_version)
        if response is not None:
            response.headers[DATASET_VERSION_HEADER] = str(written.dataset_version)


def written_response(
    request: Request,
    written: Written,
    found: Any,
    *,
    status_code: int = 200,
    location: str | None = None,
) -> PrebuiltJSON:
    """A write's answer: `publish`, then the record as it now reads (`found.body`, from a read
    of app/reads/), with its ETag and, for a create, its Location."""
    publish(request, written)
    headers = {"ETag": written.etag}
    if written.dataset_version is not None:
        headers[DATASET_VERSION_HEADER] = str(written.dataset_version)
    if location is not None:
        headers["Location"] = absolute_url(request, location)
    return PrebuiltJSON(found.body.encode(), status_code=status_code, headers=headers)
