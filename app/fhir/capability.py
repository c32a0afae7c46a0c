"""What the FHIR endpoint supports, stated as FHIR does: the CapabilityStatement of
`/fhir/r5/metadata`, and this service's code systems as CodeSystem resources."""

from __future__ import annotations

from typing import Any

from app.fhir.search import COMMON, MAX_COUNT, RESOURCE_TYPES
from app.fhir.terms import CANONICAL, CODE_SYSTEMS, FHIR_VERSION, MEDIA_TYPE, CodeSystemSpec

COMMON_DOCS = {
    "_count": f"Page size, 0 to {MAX_COUNT} (default 20).",
    "_offset": "How many matches to skip (the next and previous links carry it).",
    "_summary": "true, false, data or count.",
    "_elements": "Top-level elements to keep (the result is tagged SUBSETTED).",
    "_format": "json only.",
}


def capability_statement(date: str) -> dict[str, Any]:
    """A read-only server of four resource types: read and search-type, nothing else."""
    rest_resources = []
    for kind in RESOURCE_TYPES.values():
        entry: dict[str, Any] = {
            "type": kind.name,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "versioned",
            "readHistory": False,
            "updateCreate": False,
            "conditionalCreate": False,
            "conditionalRead": "not-supported",
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchParam": [
                {"name": name, "type": param_type, "documentation": docs}
                for name, (param_type, docs) in kind.params.items()
            ],
        }
        if kind.include:
            entry["searchInclude"] = [kind.include]
        rest_resources.append(entry)
    rest_resources.append(
        {
            "type": "CodeSystem",
            "interaction": [{"code": "read"}],
            "documentation": "This service's code systems (urn:treatment-kb:fhir:CodeSystem:*).",
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "id": "treatment-kb",
        "url": f"{CANONICAL}:CapabilityStatement:treatment-kb",
        "name": "TreatmentKnowledgeBase",
        "title": "Treatment knowledge base, FHIR R5 (read-only)",
        "status": "active",
        "date": date,
        "kind": "instance",
        "description": (
            "Read-only FHIR R5 view of the knowledge base: sources as Citation, outcomes as "
            "Evidence, indications and side-effect reports as ClinicalUseDefinition, injectates "
            "as SubstanceDefinition. Unknown search parameters are refused (400), never ignored."
        ),
        "software": {"name": "treatment-kb"},
        "implementation": {"description": "The /fhir/r5 endpoint of this API."},
        "fhirVersion": FHIR_VERSION,
        "format": [MEDIA_TYPE, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Common parameters: "
                + " ".join(
                    f"{name}: {COMMON_DOCS[name]}" for name in sorted(COMMON - {"_include"})
                ),
                "resource": rest_resources,
            }
        ],
    }


def code_system(spec: CodeSystemSpec) -> dict[str, Any]:
    concepts = []
    for code, display, definition in spec.concepts:
        concept = {"code": code, "display": display}
        if definition:
            concept["definition"] = definition
        concepts.append(concept)
    return {
        "resourceType": "CodeSystem",
        "id": spec.id,
        "url": spec.url,
        "name": "".join(word.capitalize() for word in spec.id.split("-")),
        "title": spec.title,
        "status": "active",
        "description": spec.description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }


def code_system_by_id(system_id: str) -> dict[str, Any] | None:
    spec = CODE_SYSTEMS.get(system_id)
    return None if spec is None else code_system(spec)
