"""One record as one FHIR R5 resource, built from the read shapes' JSON (app/reads/): a source
as a Citation, an outcome as an Evidence, an indication or a side-effect report as a
ClinicalUseDefinition, an injectate as a SubstanceDefinition. Each function takes the record
as its read returns it (parsed) and gives a plain dict; the mapping table is docs/fhir.md."""

from __future__ import annotations

import html
from typing import Any

from app.fhir.terms import (
    CANONICAL,
    CERTAINTY_DISPLAY,
    CERTAINTY_RATING,
    CERTAINTY_TYPE,
    CODE_SYSTEMS_OF_CONDITIONS,
    COMPARISONS,
    COMPONENT_ROLES,
    CONDITION_SYSTEM,
    DIRECTIONS,
    DOI_SYSTEM,
    EVIDENCE_LEVELS,
    FREQUENCIES,
    NOT_STUDY_RESULTS,
    PMID_SYSTEM,
    SIDE_EFFECT_SYSTEM,
    SOURCE_KINDS,
    STUDY_TYPE,
    STUDY_TYPES,
    THERAPY_SYSTEM,
    TRIAL_SYSTEMS,
    UCUM,
    VARIABLE_ROLE,
    fhir_id,
    identifier_system,
    reference,
)
from app.models import Certainty, EvidenceLevel

CITED_SOURCE = f"{CANONICAL}:StructureDefinition:cited-source"
"""Extension: the Citation a ClinicalUseDefinition rests on (the resource has no element)."""
COMPARISON_EXTENSION = f"{CANONICAL}:StructureDefinition:comparison"
DIRECTION_EXTENSION = f"{CANONICAL}:StructureDefinition:direction"
Codes = dict[str, list[dict[str, str]]]
"""Condition slug -> its codes (app/reads/clinical_uses.py `condition_codes`)."""

INDICATION_PREFIX = "indication-"
EFFECT_PREFIX = "undesirable-effect-"


def _meta(record: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"versionId": str(record["version"])}
    if record.get("updated_at"):
        meta["lastUpdated"] = _instant(record["updated_at"])
    return meta


def _instant(value: str) -> str:
    """The database's UTC timestamp as a FHIR instant (a zone is required)."""
    text = value.replace(" ", "T")
    if text.endswith("Z") or "+" in text[10:] or text[19:].count("-"):
        return text
    return text + "Z"


def _identifier(record_type: str, value: str) -> dict[str, str]:
    return {"system": identifier_system(record_type), "value": value}


def _notes(*texts: tuple[str, str | None]) -> list[dict[str, str]]:
    return [{"text": f"{label}: {text}" if label else text} for label, text in texts if text]


def _narrative(*paragraphs: str | None) -> dict[str, str]:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def condition_concept(condition: dict[str, Any], codes: Codes) -> dict[str, Any]:
    """A condition as a CodeableConcept: its ICD-10-CM (and other) codes, then its slug."""
    codings = [
        {
            "system": CODE_SYSTEMS_OF_CONDITIONS[c["system"]],
            "code": c["code"],
            "display": c["title"],
        }
        for c in codes.get(condition["slug"], [])
    ]
    codings.append(
        {"system": CONDITION_SYSTEM, "code": condition["slug"], "display": condition["name"]}
    )
    return {"coding": codings, "text": condition["name"]}


def _therapy_subject(therapy: dict[str, Any]) -> dict[str, Any]:
    """A therapy is a procedure this service does not serve as a resource: a logical
    reference, by its slug as an identifier."""
    return {
        "identifier": {"system": THERAPY_SYSTEM, "value": therapy["slug"]},
        "display": therapy["name"],
    }


# --------------------------------------------------------------------------------------------
# Source -> Citation
# --------------------------------------------------------------------------------------------


def artifact_identifiers(source: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    if source.get("doi"):
        found.append({"system": DOI_SYSTEM, "value": source["doi"]})
    if source.get("pmid"):
        found.append({"system": PMID_SYSTEM, "value": source["pmid"]})
    registration = source.get("trial_registration")
    if registration:
        prefix = "NCT" if registration.startswith("NCT") else "ACTRN"
        found.append({"system": TRIAL_SYSTEMS[prefix], "value": registration})
    return found


def citation(source: dict[str, Any]) -> dict[str, Any]:
    """A source (SourcePublic) as a Citation: the citation record, and the cited artifact."""
    artifact: dict[str, Any] = {"title": [{"text": source["title"]}]}
    identifiers = artifact_identifiers(source)
    if identifiers:
        artifact["identifier"] = identifiers
    if source.get("accessed_on"):
        artifact["dateAccessed"] = source["accessed_on"]
    if source.get("url"):
        artifact["webLocation"] = [{"url": source["url"]}]
    artifact["classification"] = [
        {"classifier": [{"coding": [SOURCE_KINDS.coding(source["kind"])]}]}
    ]
    form: dict[str, Any] = {}
    published_in: dict[str, Any] = {}
    if source.get("journal"):
        published_in["title"] = source["journal"]
    if source.get("publisher"):
        published_in["publisher"] = {"display": source["publisher"]}
    if published_in:
        form["publishedIn"] = published_in
    if source.get("year") is not None:
        form["publicationDateText"] = str(source["year"])
    if source.get("citation"):
        form["pageString"] = source["citation"]
    if form:
        artifact["publicationForm"] = [form]
    if source.get("authors"):
        artifact["contributorship"] = {
            "entry": [{"contributor": {"display": name}} for name in source["authors"]]
        }
    resource: dict[str, Any] = {
        "resourceType": "Citation",
        "id": fhir_id(source["slug"]),
        "meta": _meta(source),
        "identifier": [_identifier("source", source["slug"])],
        "title": source["title"],
        "status": "active",
        "citedArtifact": artifact,
    }
    if source.get("reviewed_on"):
        resource["lastReviewDate"] = source["reviewed_on"]
    notes = _notes(
        ("", source.get("notes")), ("Conflicts of interest", source.get("conflicts_of_interest"))
    )
    if notes:
        resource["note"] = notes
    return resource


# --------------------------------------------------------------------------------------------
# Outcome -> Evidence
# --------------------------------------------------------------------------------------------


def _role(code: str) -> dict[str, Any]:
    return {"coding": [{"system": VARIABLE_ROLE, "code": code}]}


def _quantity(value: float, unit: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"value": value}
    if unit:
        found["unit"] = unit
        if unit == "%":
            found |= {"system": UCUM, "code": "%"}
    return found


def _statistic(outcome: dict[str, Any]) -> dict[str, Any]:
    statistic: dict[str, Any] = {"description": outcome["finding"]}
    low, high, unit = outcome["value_min"], outcome["value_max"], outcome["unit"]
    if low is not None and high is not None and low == high:
        statistic["quantity"] = _quantity(low, unit)
    elif low is not None or high is not None:
        bounds = {}
        if low is not None:
            bounds["low"] = _quantity(low, unit)
        if high is not None:
            bounds["high"] = _quantity(high, unit)
        statistic["attributeEstimate"] = [{"description": "as reported", "range": bounds}]
    if outcome["sample_size"] is not None:
        statistic["sampleSize"] = {"knownDataCount": outcome["sample_size"]}
    c_low, c_high = outcome["comparator_value_min"], outcome["comparator_value_max"]
    if c_low is not None or c_high is not None:
        shown = c_low if c_low == c_high or c_high is None else f"{c_low}-{c_high}"
        if c_low is None:
            shown = c_high
        statistic["note"] = [{"text": f"Comparator: {shown}{' ' + unit if unit else ''}"}]
    return statistic


def evidence(outcome: dict[str, Any], codes: Codes) -> dict[str, Any]:
    """An outcome (OutcomeDetail) as an Evidence. An expert's opinion or a practitioner's
    claim has no `statistic`: its finding is the `assertion`, and its study design says what
    it is, so it can never be read as a study result."""
    level = EvidenceLevel(outcome["evidence_level"])
    design = [EVIDENCE_LEVELS.coding(level.value)]
    if level in STUDY_TYPES:
        code, display = STUDY_TYPES[level]
        design.append({"system": STUDY_TYPE, "code": code, "display": display})
    condition, therapy, source = outcome["condition"], outcome["therapy"], outcome["source"]
    population = (
        {"description": condition["name"], "variableRole": _role("population")}
        if condition
        else {
            "description": "No particular condition: a statement about the therapy in general",
            "variableRole": _role("population"),
        }
    )
    variables = [population, {"description": therapy["name"], "variableRole": _role("exposure")}]
    if outcome["comparator"]:
        variables.append(
            {"description": outcome["comparator"], "variableRole": _role("referenceExposure")}
        )
    variables.append({"description": outcome["measure"], "variableRole": _role("measuredVariable")})
    contexts = [
        {
            "code": {
                "system": "http://terminology.hl7.org/CodeSystem/usage-context-type",
                "code": "focus",
            },
            "valueCodeableConcept": {
                "coding": [
                    {"system": THERAPY_SYSTEM, "code": therapy["slug"], "display": therapy["name"]}
                ],
                "text": therapy["name"],
            },
        }
    ]
    if condition:
        contexts.append(
            {
                "code": {
                    "system": "http://terminology.hl7.org/CodeSystem/usage-context-type",
                    "code": "focus",
                },
                "valueCodeableConcept": condition_concept(condition, codes),
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "Evidence",
        "id": fhir_id(outcome["slug"]),
        "meta": _meta(outcome),
        "extension": [
            {"url": COMPARISON_EXTENSION, "valueCoding": COMPARISONS.coding(outcome["comparison"])},
            {"url": DIRECTION_EXTENSION, "valueCoding": DIRECTIONS.coding(outcome["direction"])},
        ],
        "identifier": [_identifier("outcome", outcome["slug"])],
        "title": outcome["measure"],
        "status": "active",
        "useContext": contexts,
        "citeAsReference": reference("Citation", source["slug"], source["title"]),
        "description": outcome["finding"],
        "variableDefinition": variables,
        "studyDesign": [{"coding": design, "text": EVIDENCE_LEVELS.display[level.value]}],
    }
    if outcome.get("reviewed_on"):
        resource["lastReviewDate"] = outcome["reviewed_on"]
    if level in NOT_STUDY_RESULTS:
        resource["assertion"] = outcome["finding"]
    else:
        resource["statistic"] = [_statistic(outcome)]
    if outcome["certainty"]:
        certainty = Certainty(outcome["certainty"])
        rated: dict[str, Any] = {
            "type": {
                "coding": [
                    {"system": CERTAINTY_TYPE, "code": "Overall", "display": "Overall certainty"}
                ]
            },
            "rating": {
                "coding": [
                    {
                        "system": CERTAINTY_RATING,
                        "code": certainty.value,
                        "display": CERTAINTY_DISPLAY[certainty],
                    }
                ]
            },
        }
        if outcome["certainty_reason"]:
            rated["description"] = outcome["certainty_reason"]
        resource["certainty"] = [rated]
    notes = _notes(
        ("Follow-up", outcome["follow_up"]),
        ("Quote", outcome["quote"]),
        ("Conflict of interest", outcome["conflict_of_interest"]),
    )
    if notes:
        resource["note"] = notes
    return resource


# --------------------------------------------------------------------------------------------
# Indication, side-effect report -> ClinicalUseDefinition
# --------------------------------------------------------------------------------------------


def _cited(source: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "url": CITED_SOURCE,
            "valueReference": reference("Citation", source["slug"], source["title"]),
        }
    ]


def indication(link: dict[str, Any], codes: Codes) -> dict[str, Any]:
    """An indication (IndicationPublic) as a ClinicalUseDefinition of type `indication`."""
    therapy, condition = link["therapy"], link["condition"]
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": f"{INDICATION_PREFIX}{link['id']}",
        "meta": {"versionId": str(link["version"])},
        "text": _narrative(
            f"{therapy['name']} is used for {condition['name']} ({link['source']['title']}).",
            link["note"],
            link["quote"] and f"Quote: {link['quote']}",
        ),
        "extension": _cited(link["source"]),
        "identifier": [_identifier("indication", str(link["id"]))],
        "type": "indication",
        "subject": [_therapy_subject(therapy)],
        "indication": {"diseaseSymptomProcedure": {"concept": condition_concept(condition, codes)}},
    }


def undesirable_effect(link: dict[str, Any]) -> dict[str, Any]:
    """A side-effect report (SideEffectReportPublic) as a ClinicalUseDefinition of type
    `undesirable-effect`."""
    therapy, effect = link["therapy"], link["side_effect"]
    frequency: dict[str, Any] = {"coding": [FREQUENCIES.coding(link["frequency"])]}
    if link["frequency_note"]:
        frequency["text"] = link["frequency_note"]
    return {
        "resourceType": "ClinicalUseDefinition",
        "id": f"{EFFECT_PREFIX}{link['id']}",
        "meta": {"versionId": str(link["version"])},
        "text": _narrative(
            f"{effect['name']} with {therapy['name']} ({link['source']['title']}).",
            link["quote"] and f"Quote: {link['quote']}",
        ),
        "extension": _cited(link["source"]),
        "identifier": [_identifier("side-effect-report", str(link["id"]))],
        "type": "undesirable-effect",
        "subject": [_therapy_subject(therapy)],
        "undesirableEffect": {
            "symptomConditionEffect": {
                "concept": {
                    "coding": [
                        {
                            "system": SIDE_EFFECT_SYSTEM,
                            "code": effect["slug"],
                            "display": effect["name"],
                        }
                    ],
                    "text": effect["name"],
                }
            },
            "classification": {"text": "serious" if effect["serious"] else "not serious"},
            "frequencyOfOccurrence": frequency,
        },
    }


# --------------------------------------------------------------------------------------------
# Injectate -> SubstanceDefinition
# --------------------------------------------------------------------------------------------


def _amount(low: float | None, high: float | None) -> dict[str, Any]:
    if low is not None and (high is None or low == high):
        return {"amountQuantity": _quantity(low, "%")}
    if low is None and high is not None:
        return {"amountQuantity": _quantity(high, "%") | {"comparator": "<="}}
    if low is not None and high is not None:
        return {"amountString": f"{low:g}-{high:g}%"}
    return {}


def substance_definition(injectate: dict[str, Any]) -> dict[str, Any]:
    """An injectate (InjectatePublic) as a SubstanceDefinition: a mixture whose components
    are its relationships, each with its role and concentration."""
    relationships = [
        {
            "substanceDefinitionCodeableConcept": {"text": component["substance"]},
            "type": {"coding": [COMPONENT_ROLES.coding(component["role"])]},
            **_amount(component["concentration_min_pct"], component["concentration_max_pct"]),
        }
        for component in injectate["components"]
    ]
    if injectate.get("diluent"):
        relationships.append(
            {
                "substanceDefinitionCodeableConcept": {"text": injectate["diluent"]},
                "type": {"coding": [COMPONENT_ROLES.coding("diluent")]},
            }
        )
    resource: dict[str, Any] = {
        "resourceType": "SubstanceDefinition",
        "id": fhir_id(injectate["slug"]),
        "meta": _meta(injectate),
        "identifier": [_identifier("injectate", injectate["slug"])],
        "name": [{"name": injectate["name"]}],
        "relationship": relationships,
    }
    if injectate.get("description"):
        resource["description"] = injectate["description"]
    if injectate.get("notes"):
        resource["note"] = [{"text": injectate["notes"]}]
    return resource
