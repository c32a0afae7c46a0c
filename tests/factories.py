"""A small, complete seed document for tests that must not depend on the curated content."""

from __future__ import annotations

import copy
from typing import Any

_DOCUMENT: dict[str, Any] = {
    "sources": [
        {
            "slug": "clinic-page",
            "title": "Prolotherapy for pain",
            "kind": "web-page",
            "publisher": "A clinic",
            "url": "https://clinic.example/prolotherapy",
        },
        {
            "slug": "trial-2013",
            "title": "A randomised trial of dextrose injections",
            "kind": "journal-article",
            "authors": ["Doe J", "Roe R"],
            "year": 2013,
            "journal": "Journal of Trials",
            "doi": "10.1000/trial.2013",
            "pmid": "12345678",
            "trial_registration": "NCT01234567",
        },
    ],
    "conditions": [
        {
            "slug": "achilles-tendinopathy",
            "name": "Achilles tendinopathy",
            "synonyms": ["Achilles tendinitis"],
            "body_region": "ankle-foot",
            "category": "tendinopathy",
            "codes": [{"system": "ICD-10-CM", "code": "M76.6", "title": "Achilles tendinitis"}],
            "sources": ["clinic-page"],
        },
        {
            "slug": "knee-osteoarthritis",
            "name": "Knee osteoarthritis",
            "body_region": "knee",
            "category": "osteoarthritis",
        },
    ],
    "injectates": [
        {
            "slug": "dextrose-5",
            "name": "5% dextrose in sterile water",
            "components": [
                {
                    "substance": "dextrose",
                    "concentration_min_pct": 5,
                    "concentration_max_pct": 5,
                    "role": "proliferant",
                }
            ],
            "diluent": "sterile water",
            "sources": ["clinic-page"],
        },
        {
            "slug": "dextrose-25",
            "name": "Hypertonic dextrose with lidocaine",
            "components": [
                {
                    "substance": "dextrose",
                    "concentration_min_pct": 12.5,
                    "concentration_max_pct": 25,
                    "role": "proliferant",
                },
                {"substance": "lidocaine", "role": "local-anaesthetic"},
            ],
        },
    ],
    "side_effects": [
        {"slug": "bruising", "name": "Bruising", "sources": ["clinic-page"]},
        {"slug": "pneumothorax", "name": "Pneumothorax", "serious": True},
    ],
    "therapies": [
        {
            "slug": "perineural-injection-therapy",
            "name": "Perineural injection therapy",
            "aliases": ["Neural Prolotherapy", "PIT"],
            "summary": "Small injections just beneath the skin along tender nerves.",
            "developed_by": "John Lyftogt",
            "sources": ["clinic-page"],
            "indications": [{"condition": "achilles-tendinopathy", "source": "clinic-page"}],
            "injectates": [
                {"injectate": "dextrose-5", "source": "clinic-page", "depth": "subcutaneous"}
            ],
            "side_effects": [
                {"side_effect": "bruising", "source": "clinic-page", "frequency": "uncommon"}
            ],
            "facts": [
                {
                    "topic": "history",
                    "statement": "Developed in New Zealand.",
                    "attribution": "proponent",
                    "source": "clinic-page",
                }
            ],
        },
        {
            "slug": "prolotherapy",
            "name": "Dextrose prolotherapy",
            "summary": "Injections of hypertonic dextrose at ligament and tendon insertions.",
            "indications": [{"condition": "knee-osteoarthritis", "source": "trial-2013"}],
            "injectates": [
                {
                    "injectate": "dextrose-25",
                    "source": "trial-2013",
                    "condition": "knee-osteoarthritis",
                    "concentration_min_pct": 15,
                    "concentration_max_pct": 25,
                }
            ],
            "side_effects": [
                {"side_effect": "pneumothorax", "source": "trial-2013", "frequency": "rare"}
            ],
        },
    ],
    "outcomes": [
        {
            "slug": "pit-success-claim",
            "therapy": "perineural-injection-therapy",
            "source": "clinic-page",
            "measure": "success rate",
            "finding": "The clinic says success rates reach 80-100%.",
            "value_min": 80,
            "value_max": 100,
            "unit": "%",
            "evidence_level": "practitioner-claim",
        },
        {
            "slug": "pit-achilles-claim",
            "therapy": "perineural-injection-therapy",
            "condition": "achilles-tendinopathy",
            "source": "clinic-page",
            "measure": "success rate",
            "finding": "The clinic says Achilles pain resolves in most patients.",
            "evidence_level": "practitioner-claim",
        },
        {
            "slug": "trial-2013-womac",
            "therapy": "prolotherapy",
            "condition": "knee-osteoarthritis",
            "source": "trial-2013",
            "measure": "WOMAC composite change",
            "finding": "WOMAC improved more with dextrose than with saline.",
            "value_min": 15.3,
            "value_max": 15.3,
            "unit": "points",
            "comparator": "saline",
            "comparator_value_min": 7.6,
            "comparator_value_max": 7.6,
            "follow_up": "52 weeks",
            "sample_size": 90,
            "evidence_level": "rct",
        },
    ],
}


def seed_document() -> dict[str, Any]:
    """A fresh deep copy, safe to mutate in a test."""
    return copy.deepcopy(_DOCUMENT)
