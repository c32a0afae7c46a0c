"""FHIR reads and searches over the knowledge base: parse a search's parameters, run the reads
of app/reads/ (paged by the database), build the resources (resources.py) and the Bundle.

Every function here takes a database connection first, so a route runs it as one read
(`run_read`). Errors are `FhirError`s, which the route answers as an OperationOutcome."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import Connection

from app.errors import NotFound
from app.fhir import resources
from app.fhir.terms import (
    CONDITION_SYSTEM,
    DOI_SYSTEM,
    ICD_10_CM,
    MESH,
    PMID_SYSTEM,
    SIDE_EFFECT_SYSTEM,
    SUBSETTED,
    THERAPY_SYSTEM,
    TRIAL_SYSTEMS,
    identifier_system,
    matches_hashed,
    slug_lookup,
    valid_id,
)
from app.models import DOI_PATTERN, PMID_PATTERN, TRIAL_ID_PATTERN
from app.reads.clinical_uses import (
    MESH_RECORD,
    condition_codes,
    conditions_citing_mesh,
    conditions_coded,
    link_page,
    mesh_descriptors,
)
from app.reads.injectates import injectate_detail, injectate_page
from app.reads.outcomes import outcome_detail, outcome_page
from app.reads.pages import PageBody, slugs_with_prefix
from app.reads.sources import source_page

DEFAULT_COUNT = 20
MAX_COUNT = 100
COMMON = {"_count", "_offset", "_summary", "_elements", "_include", "_format"}
FORMATS = {"json", "application/json", "application/fhir+json"}


class FhirError(Exception):
    """An error answered as an OperationOutcome: its HTTP status, its issue code (FHIR's
    issue-type value set) and what went wrong."""

    def __init__(self, status: int, code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


@dataclass(frozen=True)
class Found:
    """A page of resources: the resources, how many match in all, and the sources they cite
    (for `_include`)."""

    resources: list[dict[str, Any]]
    total: int
    cited: list[str]


# --------------------------------------------------------------------------------------------
# One search per resource type
# --------------------------------------------------------------------------------------------


def _items(page: PageBody) -> list[dict[str, Any]]:
    return orjson.loads(page.items)  # type: ignore[no-any-return]


def _codes_of(connection: Connection, conditions: Sequence[dict[str, Any] | None]) -> Any:
    """Each condition's codes (ICD-10-CM ...), then its MeSH descriptor, where it cites one."""
    slugs = sorted({c["slug"] for c in conditions if c})
    codes = condition_codes(connection, slugs)
    for slug, descriptors in mesh_descriptors(connection, slugs).items():
        for url, title in descriptors:
            descriptor = url.removeprefix(MESH_RECORD)
            name = title.removeprefix(f"MeSH descriptor {descriptor}: ")
            codes.setdefault(slug, []).append({"system": "MeSH", "code": descriptor, "title": name})
    return codes


def _slug(connection: Connection, table: str, resource_id: str) -> str | None:
    """The slug an id names (a long slug's id is shortened: terms.fhir_id), or None."""
    if not valid_id(resource_id):
        raise FhirError(400, "invalid", f"'{resource_id}' is not a valid FHIR id.")
    slug, digest = slug_lookup(resource_id)
    if digest is None:
        return slug
    return next(
        (s for s in slugs_with_prefix(connection, table, slug) if matches_hashed(s, digest)), None
    )


def _one(value: list[str], name: str) -> str:
    if len(value) != 1:
        raise FhirError(400, "not-supported", f"'{name}' may be given once.")
    if "," in value[0]:
        raise FhirError(
            400, "not-supported", f"'{name}' takes one value (no comma-separated list)."
        )
    return value[0]


def _token(value: str) -> tuple[str | None, str]:
    system, bar, code = value.partition("|")
    return (system, code) if bar else (None, value)


def search_evidence(
    connection: Connection, params: dict[str, list[str]], count: int, offset: int
) -> Found:
    """Evidence by `_id`, `identifier`, `condition` and `therapy` (slugs): strongest first."""
    filters: dict[str, Any] = {}
    for name in ("condition", "therapy"):
        if name in params:
            filters[name] = _one(params[name], name)
    if "_id" in params or "identifier" in params:
        slug = _identified(connection, params, "outcome", "outcomes")
        if slug is None:
            return Found([], 0, [])
        try:
            outcome = orjson.loads(outcome_detail(connection, slug).body)
        except NotFound:
            return Found([], 0, [])
        keep = all((outcome[name] or {}).get("slug") == value for name, value in filters.items())
        outcomes = [outcome] if keep else []
        total = len(outcomes)
    else:
        page = outcome_page(connection, filters, "evidence", None, count, offset)
        outcomes, total = _items(page), page.total
    codes = _codes_of(connection, [o["condition"] for o in outcomes])
    built = [resources.evidence(o, codes) for o in outcomes]
    return Found(built, total, [o["source"]["slug"] for o in outcomes])


def _identified(
    connection: Connection, params: dict[str, list[str]], record_type: str, table: str
) -> str | None:
    """The slug `_id` or `identifier` (this service's system, or none) names; None if none."""
    if "_id" in params:
        return _slug(connection, table, _one(params["_id"], "_id"))
    system, value = _token(_one(params["identifier"], "identifier"))
    if system not in (None, "", identifier_system(record_type)):
        return None
    return value


def search_citation(
    connection: Connection, params: dict[str, list[str]], count: int, offset: int
) -> Found:
    """Citations by `_id` or `identifier` (DOI, PMID, trial registration, or this service's
    slug): by title."""
    filters: dict[str, Any] = {}
    if "_id" in params:
        slug = _slug(connection, "sources", _one(params["_id"], "_id"))
        if slug is None:
            return Found([], 0, [])
        filters["slug"] = slug
    if "identifier" in params:
        name, value = _citation_identifier(_one(params["identifier"], "identifier"))
        if name is None or filters.get(name, value) != value:
            return Found([], 0, [])
        filters[name] = value
    page = source_page(connection, filters, "title", count, offset)
    return Found([resources.citation(s) for s in _items(page)], page.total, [])


def _citation_identifier(value: str) -> tuple[str | None, str]:
    """Which field of a source an identifier token searches (None: no source can match)."""
    system, code = _token(value)
    by_system = {
        DOI_SYSTEM: "doi",
        PMID_SYSTEM: "pmid",
        identifier_system("source"): "slug",
        **dict.fromkeys(TRIAL_SYSTEMS.values(), "trial_registration"),
    }
    if system:
        return by_system.get(system), code
    for pattern, name in (
        (DOI_PATTERN, "doi"),
        (PMID_PATTERN, "pmid"),
        (TRIAL_ID_PATTERN, "trial_registration"),
    ):
        if re.fullmatch(pattern, code):
            return name, code
    return "slug", code


USE_TYPES = ("indication", "undesirable-effect")


def search_clinical_use(
    connection: Connection, params: dict[str, list[str]], count: int, offset: int
) -> Found:
    """ClinicalUseDefinitions by `_id`, `type`, `subject` (a therapy), `indication` (a
    condition: ICD-10-CM or this service's code) and `effect` (a side effect): indications
    first, then undesirable effects, each by id."""
    types = list(USE_TYPES)
    if "type" in params:
        wanted = _one(params["type"], "type")
        if wanted not in USE_TYPES:
            raise FhirError(400, "value", f"type must be one of {', '.join(USE_TYPES)}.")
        types = [wanted]
    base: dict[str, Any] = {}
    if "subject" in params:
        system, value = _token(_one(params["subject"], "subject"))
        base["therapy"] = value.removeprefix("ActivityDefinition/")
        if system not in (None, THERAPY_SYSTEM):
            return Found([], 0, [])
    per_type: dict[str, dict[str, Any]] = {kind: dict(base) for kind in types}
    if "_id" in params:
        resource_id = _one(params["_id"], "_id")
        for kind, prefix in (
            ("indication", resources.INDICATION_PREFIX),
            ("undesirable-effect", resources.EFFECT_PREFIX),
        ):
            number = resource_id.removeprefix(prefix)
            if kind in per_type and number != resource_id and number.isdigit():
                per_type[kind]["id"] = int(number)
            else:
                per_type.pop(kind, None)
    if "indication" in params:
        per_type.pop("undesirable-effect", None)
        if "indication" in per_type:
            slugs = _conditions(connection, _one(params["indication"], "indication"))
            per_type["indication"] |= {f"other_{n}": s for n, s in enumerate(slugs)}
            if not slugs:
                per_type.pop("indication")
    if "effect" in params:
        per_type.pop("indication", None)
        if "undesirable-effect" in per_type:
            system, code = _token(_one(params["effect"], "effect"))
            if system in (None, SIDE_EFFECT_SYSTEM):
                per_type["undesirable-effect"]["other_0"] = code
            else:
                per_type.pop("undesirable-effect")
    links: list[tuple[str, dict[str, Any]]] = []
    total, left, skip = 0, count, offset
    for kind, filters in per_type.items():
        label = "indication" if kind == "indication" else "side-effect report"
        page = link_page(connection, label, filters, left, skip)
        items = _items(page)
        links += [(kind, item) for item in items]
        total += page.total
        left -= len(items)
        skip = max(0, skip - page.total)
    codes = _codes_of(
        connection, [item["condition"] for kind, item in links if kind == "indication"]
    )
    built = [
        resources.indication(item, codes)
        if kind == "indication"
        else resources.undesirable_effect(item)
        for kind, item in links
    ]
    return Found(built, total, [item["source"]["slug"] for _, item in links])


def _conditions(connection: Connection, value: str) -> list[str]:
    """The conditions an `indication` token names: `[system|]code`, with ICD-10-CM or this
    service's condition codes (slugs); a bare code is tried as both."""
    system, code = _token(value)
    if system == CONDITION_SYSTEM:
        return [code]
    if system == ICD_10_CM:
        return conditions_coded(connection, "ICD-10-CM", code)
    if system == MESH:
        return conditions_citing_mesh(connection, code)
    if system is None:
        return [code, *conditions_coded(connection, "ICD-10-CM", code)]
    return []


def search_substance(
    connection: Connection, params: dict[str, list[str]], count: int, offset: int
) -> Found:
    """SubstanceDefinitions (injectates) by `_id` or `identifier`: by name."""
    if "_id" in params or "identifier" in params:
        slug = _identified(connection, params, "injectate", "injectates")
        try:
            found = orjson.loads(injectate_detail(connection, slug).body) if slug else None
        except NotFound:
            found = None
        return Found([resources.substance_definition(found)] if found else [], int(bool(found)), [])
    page = injectate_page(connection, {}, "name", count, offset)
    return Found([resources.substance_definition(i) for i in _items(page)], page.total, [])


# --------------------------------------------------------------------------------------------
# The resource types, their parameters, and the Bundle
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    name: str
    search: Callable[[Connection, dict[str, list[str]], int, int], Found]
    params: dict[str, tuple[str, str]]
    """Search parameter -> (FHIR type, what it matches), as the CapabilityStatement lists it."""
    summary: tuple[str, ...]
    """The elements `_summary=true` keeps (FHIR's summary elements of the resource)."""
    include: str | None = None
    """The `_include` this type supports (`Evidence:citation`), if any."""


RESOURCE_TYPES: dict[str, ResourceType] = {
    "Citation": ResourceType(
        "Citation",
        search_citation,
        {
            "_id": ("token", "The source's slug (shortened past 64 characters)."),
            "identifier": (
                "token",
                "The cited work's DOI (https://doi.org), PMID (https://pubmed.ncbi.nlm.nih.gov) "
                "or trial registration, or the source's slug; without a system, told apart by "
                "their forms.",
            ),
        },
        ("identifier", "title", "status", "lastReviewDate", "citedArtifact"),
    ),
    "Evidence": ResourceType(
        "Evidence",
        search_evidence,
        {
            "_id": ("token", "The outcome's slug (shortened past 64 characters)."),
            "identifier": ("token", "The outcome's slug, in this service's system."),
            "condition": ("token", "The condition's slug: evidence reported for it."),
            "therapy": ("token", "The therapy's slug: evidence about it."),
        },
        (
            "identifier",
            "title",
            "status",
            "citeAsReference",
            "useContext",
            "studyDesign",
            "certainty",
        ),
        include="Evidence:citation",
    ),
    "ClinicalUseDefinition": ResourceType(
        "ClinicalUseDefinition",
        search_clinical_use,
        {
            "_id": ("token", "indication-{id} or undesirable-effect-{id}."),
            "type": ("token", "indication or undesirable-effect."),
            "subject": ("reference", "The therapy's slug (a logical reference: no resource)."),
            "indication": (
                "token",
                "The condition: an ICD-10-CM code (http://hl7.org/fhir/sid/icd-10-cm), a MeSH "
                "descriptor (https://www.nlm.nih.gov/mesh) or its slug in this service's "
                "system; a bare code is tried as ICD-10-CM code and as slug.",
            ),
            "effect": ("token", "The side effect's slug (this service's system)."),
        },
        ("identifier", "type", "subject", "indication", "undesirableEffect"),
        include="ClinicalUseDefinition:citation",
    ),
    "SubstanceDefinition": ResourceType(
        "SubstanceDefinition",
        search_substance,
        {
            "_id": ("token", "The injectate's slug (shortened past 64 characters)."),
            "identifier": ("token", "The injectate's slug, in this service's system."),
        },
        ("identifier", "name", "description"),
    ),
}


def resource_type(name: str) -> ResourceType:
    found = RESOURCE_TYPES.get(name)
    if found is None:
        supported = ", ".join(RESOURCE_TYPES)
        raise FhirError(
            404, "not-supported", f"Resource type '{name}' is not served here ({supported})."
        )
    return found


def _int(params: dict[str, list[str]], name: str, default: int, high: int) -> int:
    if name not in params:
        return default
    value = _one(params[name], name)
    if not value.isdigit() or int(value) > high:
        raise FhirError(400, "value", f"{name} must be a whole number from 0 to {high}.")
    return int(value)


def _subset(resource: dict[str, Any], keep: Sequence[str]) -> dict[str, Any]:
    """Only `keep` of the resource's elements (with its type, id and meta), tagged SUBSETTED."""
    kept = {key: value for key, value in resource.items() if key in keep}
    meta = dict(resource.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    return {"resourceType": resource["resourceType"], "id": resource["id"], "meta": meta, **kept}


def shaped(
    kind: ResourceType, resource: dict[str, Any], params: dict[str, list[str]]
) -> dict[str, Any]:
    """The resource as `_summary` (true, false, data) and `_elements` ask for it."""
    summary = _one(params["_summary"], "_summary") if "_summary" in params else "false"
    if summary == "true":
        return _subset(resource, kind.summary)
    if summary == "data":
        return {key: value for key, value in resource.items() if key != "text"}
    if "_elements" in params:
        names = [n.strip() for v in params["_elements"] for n in v.split(",") if n.strip()]
        if any("." in name for name in names):
            raise FhirError(400, "not-supported", "_elements takes top-level element names only.")
        return _subset(resource, names)
    return resource


def _used(kind: ResourceType, params: dict[str, list[str]]) -> dict[str, list[str]]:
    """The parameters this search uses. An unknown result parameter (`_total`, a client's
    `_totalMethod` ...) changes no match: it is left out, and the self link shows what was
    used, as FHIR has it. An unknown search parameter would change the matches: a 400."""
    return {
        name: values
        for name, values in params.items()
        if not name.startswith("_") or name in COMMON or name in kind.params
    }


def _check(kind: ResourceType, params: dict[str, list[str]]) -> None:
    unknown = sorted(set(params) - COMMON - set(kind.params))
    if unknown:
        raise FhirError(
            400,
            "not-supported",
            f"Unknown or unsupported search parameter(s) for {kind.name}: {', '.join(unknown)}. "
            "Supported: see /fhir/r5/metadata.",
        )
    if "_format" in params and _one(params["_format"], "_format") not in FORMATS:
        raise FhirError(406, "not-supported", "Only JSON is served (_format=json).")
    summary = params.get("_summary")
    if summary is not None and _one(summary, "_summary") not in ("true", "false", "count", "data"):
        raise FhirError(400, "not-supported", "_summary must be true, false, count or data.")
    if "_summary" in params and "_elements" in params:
        raise FhirError(400, "invalid", "_summary and _elements cannot be combined.")
    for value in params.get("_include", []):
        if value != kind.include:
            offered = f"only {kind.include}" if kind.include else "none"
            raise FhirError(400, "not-supported", f"_include={value} is not supported ({offered}).")


def search(
    connection: Connection, type_name: str, params: dict[str, list[str]], base: str
) -> dict[str, Any]:
    """A search as a Bundle of type searchset: the page's resources (`_count`, `_offset`),
    `total`, links self, next and previous, and with `_include` the Citations they cite."""
    kind = resource_type(type_name)
    params = _used(kind, params)
    _check(kind, params)
    count = _int(params, "_count", DEFAULT_COUNT, MAX_COUNT)
    offset = _int(params, "_offset", 0, 10**9)
    summary_count = params.get("_summary") == ["count"]
    found = kind.search(connection, params, 0 if summary_count else count, offset)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": found.total,
        "link": _links(f"{base}/{kind.name}", params, count, offset, found.total),
    }
    if summary_count:
        return bundle
    entries = [
        {
            "fullUrl": f"{base}/{kind.name}/{resource['id']}",
            "resource": shaped(kind, resource, params),
            "search": {"mode": "match"},
        }
        for resource in found.resources
    ]
    if "_include" in params and found.cited:
        for source in cited_sources(connection, found.cited):
            entries.append(
                {
                    "fullUrl": f"{base}/Citation/{source['id']}",
                    "resource": source,
                    "search": {"mode": "include"},
                }
            )
    if entries:
        bundle["entry"] = entries
    return bundle


def cited_sources(connection: Connection, slugs: list[str]) -> list[dict[str, Any]]:
    """The Citations of `slugs`, each once, in the order first cited."""
    citations = []
    for slug in dict.fromkeys(slugs):
        page = source_page(connection, {"slug": slug}, "title", 1, 0)
        citations += [resources.citation(s) for s in _items(page)]
    return citations


def _links(
    at: str, params: dict[str, list[str]], count: int, offset: int, total: int
) -> list[dict[str, str]]:
    others = [
        (k, v) for k, values in params.items() if k not in ("_count", "_offset") for v in values
    ]

    def url(to: int) -> str:
        return f"{at}?{urlencode([*others, ('_count', count), ('_offset', to)])}"

    links = [{"relation": "self", "url": url(offset)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": url(offset + count)})
    if offset > 0:
        links.append({"relation": "previous", "url": url(max(0, offset - count))})
    return links


def read(
    connection: Connection, type_name: str, resource_id: str, params: dict[str, list[str]]
) -> dict[str, Any]:
    """One resource by its id (404 when none); `_summary` and `_elements` apply."""
    kind = resource_type(type_name)
    allowed = {"_summary", "_elements", "_format"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise FhirError(400, "not-supported", f"A read takes only {', '.join(sorted(allowed))}.")
    _check(kind, params)
    if params.get("_summary") == ["count"]:
        raise FhirError(400, "not-supported", "_summary=count applies to searches only.")
    if not valid_id(resource_id):
        raise FhirError(400, "invalid", f"'{resource_id}' is not a valid FHIR id.")
    found = kind.search(connection, {"_id": [resource_id]}, 1, 0)
    if not found.resources:
        raise FhirError(404, "not-found", f"No {kind.name} with id '{resource_id}'.")
    return shaped(kind, found.resources[0], params)


def collection(connection: Connection, base: str) -> dict[str, Any]:
    """The whole knowledge base as a Bundle of type collection (`kb export --format fhir`)."""
    entries = []
    for kind in RESOURCE_TYPES.values():
        offset = 0
        while True:
            found = kind.search(connection, {}, MAX_COUNT, offset)
            entries += [
                {"fullUrl": f"{base}/{kind.name}/{r['id']}", "resource": r} for r in found.resources
            ]
            offset += MAX_COUNT
            if offset >= found.total:
                break
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
