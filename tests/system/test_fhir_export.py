"""`kb export --format fhir`: the whole knowledge base as one FHIR R5 Bundle of type
collection, valid against fhir.resources, one entry per record and link it maps."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from fhir.resources.bundle import Bundle

from tests.conftest import SEED_FILE
from tests.system.test_cli import kb


def test_kb_export_fhir_writes_a_valid_collection_bundle(
    database_url: str, load: Callable[[dict[str, Any]], None]
) -> None:
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    load(seed)
    result = kb("export", "--format", "fhir", database_url=database_url)
    assert result.returncode == 0, result.stderr
    bundle = json.loads(result.stdout)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    counts = Counter(entry["resource"]["resourceType"] for entry in bundle["entry"])
    assert counts == {
        "Citation": len(seed["sources"]),
        "Evidence": len(seed["outcomes"]),
        "ClinicalUseDefinition": sum(
            len(t["indications"]) + len(t["side_effects"]) for t in seed["therapies"]
        ),
        "SubstanceDefinition": len(seed["injectates"]),
    }
    first = bundle["entry"][0]
    assert first["fullUrl"] == f"http://127.0.0.1:8000/fhir/r5/Citation/{first['resource']['id']}"
    refused = kb("export", "--format", "xml", database_url=database_url)
    assert refused.returncode == 2
