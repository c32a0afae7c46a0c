"""/fhir/r5: the knowledge base as FHIR R5 resources, read-only. The CapabilityStatement
(`metadata`), this service's code systems, and read and search for Citation, Evidence,
ClinicalUseDefinition and SubstanceDefinition (app/fhir/ builds them from app/reads/).

Answers are `application/fhir+json`; errors are OperationOutcomes (app/http/problems.py turns
the API's own errors into them on these paths). The routes are left out of the OpenAPI
document: FHIR clients read the CapabilityStatement, and docs/fhir.md describes the rest."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from app.fhir.capability import capability_statement, code_system_by_id
from app.fhir.search import FhirError, operation_outcome, read, search
from app.fhir.terms import MEDIA_TYPE
from app.http.pagination import absolute_url
from app.store.engine import run_read

PREFIX = "/fhir/r5"
router = APIRouter(prefix=PREFIX, tags=["fhir"], include_in_schema=False)

CAPABILITY_DATE = "2026-12-08"
"""When this endpoint's capabilities last changed (a CapabilityStatement needs a date)."""


def fhir_response(body: dict[str, Any], *, etag: str | None = None) -> Response:
    headers = {"ETag": etag} if etag else None
    return Response(orjson.dumps(body), media_type=MEDIA_TYPE, headers=headers)


def outcome_response(error: FhirError) -> Response:
    return Response(
        orjson.dumps(operation_outcome(error.code, error.diagnostics)),
        status_code=error.status,
        media_type=MEDIA_TYPE,
    )


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params


@router.get("/metadata")
def read_capability_statement() -> Response:
    """What this FHIR endpoint supports."""
    return fhir_response(capability_statement(CAPABILITY_DATE))


@router.get("/CodeSystem/{system_id}")
def read_code_system(system_id: str) -> Response:
    """One of this service's code systems."""
    found = code_system_by_id(system_id)
    if found is None:
        return outcome_response(FhirError(404, "not-found", f"No CodeSystem '{system_id}'."))
    return fhir_response(found)


@router.get("/{resource_type}")
async def search_resources(request: Request, resource_type: str) -> Response:
    """Search one resource type: a Bundle of type searchset."""
    base = absolute_url(request, PREFIX)
    try:
        bundle = await run_read(request, search, resource_type, _params(request), base)
    except FhirError as error:
        return outcome_response(error)
    return fhir_response(bundle)


@router.get("/{resource_type}/{resource_id}")
async def read_resource(request: Request, resource_type: str, resource_id: str) -> Response:
    """Read one resource by its id."""
    try:
        found = await run_read(request, read, resource_type, resource_id, _params(request))
    except FhirError as error:
        return outcome_response(error)
    version = found.get("meta", {}).get("versionId", "0")
    return fhir_response(found, etag=f'"{resource_type}/{found["id"]}/v{version}"')
