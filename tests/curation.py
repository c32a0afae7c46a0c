"""Helpers for the curation tests: problem assertions and a valid new record of each type."""

from __future__ import annotations

import copy
from typing import Any

import httpx2
from typer.testing import CliRunner, Result

from app.cli import cli
from app.config import get_settings
from app.models import RecordType


def assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    """The response is an `application/problem+json` of `status`; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def invalid_names(response: httpx2.Response) -> list[str]:
    return [param["name"] for param in assert_problem(response, 422)["invalid_params"]]


_NEW: dict[RecordType, tuple[str, dict[str, Any]]] = {
    RecordType.source: (
        "/v1/sources",
        {"slug": "new-source", "title": "A new source", "kind": "guideline", "year": 2020},
    ),
    RecordType.condition: (
        "/v1/conditions",
        {
            "slug": "tennis-elbow",
            "name": "Tennis elbow",
            "body_region": "elbow",
            "category": "tendinopathy",
            "codes": [{"system": "ICD-10-CM", "code": "M77.1", "title": "Lateral epicondylitis"}],
            "sources": ["trial-2013"],
        },
    ),
    RecordType.injectate: (
        "/v1/injectates",
        {
            "slug": "dextrose-10",
            "name": "10% dextrose",
            "components": [{"substance": "dextrose", "role": "proliferant"}],
            "sources": ["clinic-page"],
        },
    ),
    RecordType.side_effect: (
        "/v1/side-effects",
        {"slug": "flare", "name": "Post-injection flare", "sources": ["clinic-page"]},
    ),
    RecordType.therapy: (
        "/v1/therapies",
        {
            "slug": "new-therapy",
            "name": "New therapy",
            "summary": "Something injected somewhere.",
            "sources": ["clinic-page", "trial-2013"],
        },
    ),
    RecordType.outcome: (
        "/v1/outcomes",
        {
            "slug": "new-outcome",
            "therapy": "prolotherapy",
            "condition": "achilles-tendinopathy",
            "source": "trial-2013",
            "measure": "pain",
            "finding": "Less pain.",
            "evidence_level": "cohort",
        },
    ),
    RecordType.indication: (
        "/v1/therapies/prolotherapy/indications",
        {"condition": "achilles-tendinopathy", "source": "clinic-page", "note": "A note."},
    ),
    RecordType.injectate_use: (
        "/v1/therapies/prolotherapy/injectate-uses",
        {"injectate": "dextrose-5", "source": "clinic-page", "depth": "deep"},
    ),
    RecordType.side_effect_report: (
        "/v1/therapies/prolotherapy/side-effect-reports",
        {"side_effect": "bruising", "source": "trial-2013", "frequency": "common"},
    ),
    RecordType.fact: (
        "/v1/therapies/prolotherapy/facts",
        {
            "topic": "naming",
            "statement": "Also called proliferation therapy.",
            "attribution": "independent",
            "source": "trial-2013",
        },
    ),
}

ALL_TYPES = list(_NEW)
LINK_TYPES = [
    RecordType.indication,
    RecordType.injectate_use,
    RecordType.side_effect_report,
    RecordType.fact,
]

# A field each type can change, and a value for it; `null` is a valid merge patch value.
CHANGE: dict[RecordType, tuple[str, Any]] = {
    RecordType.source: ("title", "A renamed source"),
    RecordType.condition: ("name", "Lateral epicondylitis"),
    RecordType.injectate: ("diluent", "saline"),
    RecordType.side_effect: ("serious", True),
    RecordType.therapy: ("mechanism", "Inflammation, then repair."),
    RecordType.outcome: ("sample_size", 40),
    RecordType.indication: ("quote", "used for Achilles pain"),
    RecordType.injectate_use: ("volume", "1 mL"),
    RecordType.side_effect_report: ("frequency_note", "1 in 10"),
    RecordType.fact: ("verified", True),
}


def new_record(record_type: RecordType) -> tuple[str, dict[str, Any]]:
    """Where to POST a new record of this type (on tests/factories.py's document), and a body."""
    path, body = _NEW[record_type]
    return path, copy.deepcopy(body)


def kb(database_url: str, *args: str) -> Result:
    """Run the `kb` command in this process, on the test's database."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(
            cli, list(args), env={"DATABASE_URL": database_url}, catch_exceptions=False
        )
    finally:
        get_settings.cache_clear()
