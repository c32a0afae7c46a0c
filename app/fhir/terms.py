"""Identifiers, ids and the code systems of the FHIR view: FHIR's own where one fits, this
service's where none does (each with its canonical URL; docs/fhir.md lists them)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from app.models import (
    Certainty,
    ComponentRole,
    EvidenceLevel,
    Frequency,
    SourceKind,
)

FHIR_VERSION = "5.0.0"
MEDIA_TYPE = "application/fhir+json"

CANONICAL = "urn:treatment-kb:fhir"
"""The base of this service's canonical URLs. No domain is owned for them, so they are URNs:
they cannot be mistaken for an address, and they do not change with the host that serves them
(docs/decisions/0024-fhir-code-systems-and-ids.md)."""


def code_system_url(name: str) -> str:
    return f"{CANONICAL}:CodeSystem:{name}"


def identifier_system(record_type: str) -> str:
    """The system of a record's slug as an identifier: `urn:treatment-kb:fhir:id:outcome`."""
    return f"{CANONICAL}:id:{record_type}"


DOI_SYSTEM = "https://doi.org"
PMID_SYSTEM = "https://pubmed.ncbi.nlm.nih.gov"
TRIAL_SYSTEMS = {"NCT": "https://clinicaltrials.gov", "ACTRN": "https://www.anzctr.org.au"}
"""Trial registrations by prefix: ClinicalTrials.gov (HL7 Terminology's identifier system for
it) and the Australian New Zealand Clinical Trials Registry (its own address)."""
ICD_10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
MESH = "https://www.nlm.nih.gov/mesh"
"""HL7 Terminology's system for MeSH descriptors."""
CODE_SYSTEMS_OF_CONDITIONS = {
    "ICD-10-CM": ICD_10_CM,
    "ICD-10-AM": "http://hl7.org/fhir/sid/icd-10-am",
    "ICD-11": "http://id.who.int/icd/release/11/mms",
    "ICD-9-CM": "http://hl7.org/fhir/sid/icd-9-cm",
    "SNOMED-CT": "http://snomed.info/sct",
    "MeSH": MESH,
}
UCUM = "http://unitsofmeasure.org"
CERTAINTY_RATING = "http://terminology.hl7.org/CodeSystem/certainty-rating"
CERTAINTY_TYPE = "http://terminology.hl7.org/CodeSystem/certainty-type"
STUDY_TYPE = "http://terminology.hl7.org/CodeSystem/study-type"
VARIABLE_ROLE = "http://hl7.org/fhir/variable-role"
SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}

STUDY_TYPES: dict[EvidenceLevel, tuple[str, str]] = {
    EvidenceLevel.rct: ("RCT", "randomized trial"),
    EvidenceLevel.cohort: ("cohort", "comparative cohort study"),
    EvidenceLevel.case_series: ("series", "uncontrolled cohort or case series"),
}
"""The evidence levels HL7's study-type code system names; a systematic review, an expert's
opinion and a practitioner's claim have no code there and carry only this service's."""

NOT_STUDY_RESULTS = {EvidenceLevel.expert_opinion, EvidenceLevel.practitioner_claim}
"""Statements, not measurements: their Evidence has no `statistic`, only `assertion`."""


class CodeSystemSpec:
    """A code system of this service: its id (served at /fhir/r5/CodeSystem/{id}), its title,
    its definition and its concepts (code, display, definition)."""

    def __init__(self, id: str, title: str, description: str, concepts: list[tuple[str, str, str]]):
        self.id, self.title, self.description, self.concepts = id, title, description, concepts
        self.url = code_system_url(id)
        self.display = {code: display for code, display, _ in concepts}

    def coding(self, code: str) -> dict[str, str]:
        return {"system": self.url, "code": code, "display": self.display[code]}


EVIDENCE_LEVELS = CodeSystemSpec(
    "evidence-level",
    "Evidence level",
    "What kind of source reports an outcome, strongest first. `practitioner-claim` and "
    "`expert-opinion` are statements, never study results.",
    [
        ("systematic-review", "Systematic review", "A systematic review of studies."),
        ("rct", "Randomised controlled trial", "A randomised controlled trial."),
        ("cohort", "Cohort study", "A cohort study (observational)."),
        ("case-series", "Case series", "A case series or an uncontrolled before/after study."),
        ("expert-opinion", "Expert opinion", "An expert's opinion: not a study result."),
        (
            "practitioner-claim",
            "Practitioner claim (not a study result)",
            "A claim made by a practitioner (often on a clinic's page): never a study result.",
        ),
    ],
)
assert set(EVIDENCE_LEVELS.display) == {level.value for level in EvidenceLevel}

COMPARISONS = CodeSystemSpec(
    "comparison",
    "Comparison",
    "What an outcome's result compares.",
    [
        ("between-groups", "Between groups", "The therapy's group against another group."),
        ("within-group", "Within group", "A group against its own baseline."),
        ("none", "No comparison", "A claim or a narrative conclusion."),
    ],
)
DIRECTIONS = CodeSystemSpec(
    "direction",
    "Direction of the result",
    "Which way an outcome's result points, as the source reports it.",
    [
        ("favours-therapy", "Favours the therapy", "Better than the comparator."),
        ("no-difference", "No difference", "No difference from the comparator."),
        ("favours-comparator", "Favours the comparator", "Worse than the comparator."),
        ("improved-uncontrolled", "Improved, uncontrolled", "Better than baseline only."),
        ("unclear", "Unclear", "The source does not say clearly."),
    ],
)
SOURCE_KINDS = CodeSystemSpec(
    "source-kind",
    "Source kind",
    "What kind of publication a source is.",
    [(kind.value, kind.value.replace("-", " ").capitalize(), "") for kind in SourceKind],
)
COMPONENT_ROLES = CodeSystemSpec(
    "component-role",
    "Component role",
    "What a component of an injectate is there for.",
    [(role.value, role.value.replace("-", " ").capitalize(), "") for role in ComponentRole],
)
FREQUENCIES = CodeSystemSpec(
    "frequency",
    "Frequency of a side effect",
    "How often a source says a side effect occurs (the figure as reported is the text).",
    [(f.value, f.value.replace("-", " ").capitalize(), "") for f in Frequency],
)
CODE_SYSTEMS = {
    spec.id: spec
    for spec in (
        EVIDENCE_LEVELS,
        COMPARISONS,
        DIRECTIONS,
        SOURCE_KINDS,
        COMPONENT_ROLES,
        FREQUENCIES,
    )
}

CONDITION_SYSTEM = identifier_system("condition")
"""Conditions and side effects are also coded by their slugs (what a token search names)."""
SIDE_EFFECT_SYSTEM = identifier_system("side-effect")
THERAPY_SYSTEM = identifier_system("therapy")

CERTAINTY_DISPLAY = {
    Certainty.high: "High quality",
    Certainty.moderate: "Moderate quality",
    Certainty.low: "Low quality",
    Certainty.very_low: "Very low quality",
}

# --------------------------------------------------------------------------------------------
# Ids: slugs, within FHIR's id rule
# --------------------------------------------------------------------------------------------

ID_PATTERN = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_HASHED_PREFIX = 55


def fhir_id(slug: str) -> str:
    """A slug as a FHIR id. Slugs are [a-z0-9-] (within FHIR's rule) and up to 80 characters,
    FHIR's ids up to 64: a longer slug keeps its first 55 characters and adds `.` and 8 hex
    digits of its SHA-256. The `.` (never in a slug) keeps such an id from being a slug."""
    if len(slug) <= 64:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:8]
    return f"{slug[:_HASHED_PREFIX]}.{digest}"


def slug_lookup(resource_id: str) -> tuple[str, str | None]:
    """What an id names: (the slug, None) for a plain slug; (the slug's first 55 characters,
    the hash) for a shortened one, which the caller resolves among slugs with that prefix."""
    prefix, dot, digest = resource_id.partition(".")
    return (resource_id, None) if not dot else (prefix, digest)


def matches_hashed(slug: str, digest: str) -> bool:
    return hashlib.sha256(slug.encode()).hexdigest()[:8] == digest


def valid_id(resource_id: str) -> bool:
    return ID_PATTERN.fullmatch(resource_id) is not None


def reference(resource_type: str, slug: str, display: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"reference": f"{resource_type}/{fhir_id(slug)}"}
    if display:
        found["display"] = display
    return found
