"""A deterministic synthetic knowledge base of about N records, in the seed format.

The shapes follow the curated seed: therapies with aliases, indications, protocols, side-effect
reports and facts; conditions with synonyms and ICD-style codes; outcomes at every evidence
level; sources of every kind. The text is synthetic (drawn from fixed word lists with a fixed
random seed), never clinical content: it exists only to measure the service at scale.

    python bench/generate.py --records 100000 --out var/bench/kb-100k.json
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

REGIONS = [
    "head", "neck", "shoulder", "elbow", "wrist-hand", "chest-wall", "lower-back", "hip",
    "knee", "ankle-foot", "widespread",
]  # fmt: skip
CATEGORIES = [
    "tendinopathy", "osteoarthritis", "neuropathy", "pain-syndrome", "bursopathy",
    "apophysitis", "fasciopathy", "muscle-injury", "ligament-injury",
]  # fmt: skip
TISSUES = [
    "tendon", "ligament", "fascia", "bursa", "nerve", "joint", "enthesis", "cartilage",
    "muscle", "capsule", "meniscus", "labrum",
]  # fmt: skip
SITES = [
    "lateral", "medial", "anterior", "posterior", "superior", "inferior", "proximal",
    "distal", "deep", "superficial", "central", "peripheral",
]  # fmt: skip
PROCESSES = [
    "tendinosis", "enthesopathy", "neuralgia", "syndrome", "strain", "laxity", "arthrosis",
    "bursitis", "fasciitis", "neuroma", "impingement", "instability",
]  # fmt: skip
WORDS = (
    "injection dextrose solution subcutaneous perineural proliferant anaesthetic tissue repair "
    "pain relief follow up trial cohort randomised placebo saline weekly monthly sessions "
    "ultrasound guided palpation tender points nerve pathway tendon insertion ligament "
    "strength function score improvement baseline week month year patients participants"
).split()
EVIDENCE = ["systematic-review", "rct", "cohort", "case-series", "expert-opinion",
            "practitioner-claim"]  # fmt: skip
FREQUENCY = ["very-common", "common", "uncommon", "rare", "not-observed", "unknown"]
KINDS = ["journal-article", "systematic-review", "web-page", "book", "trial-registry"]
TOPICS = ["history", "naming", "mechanism", "technique", "indications", "efficacy", "safety"]
MEASURES = ["VAS change", "WOMAC change", "success rate", "VISA-A change", "NRS change",
            "satisfaction", "function score change"]  # fmt: skip

# Shares of the records per type (they sum to 1).
SHARES = {
    "sources": 0.16,
    "conditions": 0.20,
    "injectates": 0.01,
    "side_effects": 0.005,
    "therapies": 0.025,
    "outcomes": 0.60,
}


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def generate(records: int, seed: int = 20261125) -> dict[str, Any]:
    rng = random.Random(seed)
    count = {key: max(2, int(records * share)) for key, share in SHARES.items()}

    sources = []
    for index in range(count["sources"]):
        kind = rng.choice(KINDS)
        source: dict[str, Any] = {
            "slug": f"source-{index:06d}",
            "title": sentence(rng, 8).rstrip("."),
            "kind": kind,
            "authors": [f"Author{rng.randrange(5000)} {chr(65 + rng.randrange(26))}"],
            "year": rng.randrange(1950, 2026),
        }
        if kind in ("journal-article", "systematic-review"):
            source["journal"] = f"Journal of {rng.choice(TISSUES).title()} Medicine"
            source["doi"] = f"10.{5000 + rng.randrange(4000)}/bench.{index}"
        elif kind == "web-page":
            source["url"] = f"https://clinic{rng.randrange(300)}.example/page-{index}"
        sources.append(source)

    conditions = []
    for index in range(count["conditions"]):
        tissue, site, process = rng.choice(TISSUES), rng.choice(SITES), rng.choice(PROCESSES)
        letter = chr(65 + index % 26)
        conditions.append(
            {
                "slug": f"condition-{index:06d}",
                "name": f"{site.title()} {tissue} {process} {index}",
                "synonyms": [f"{tissue} {process} {index}", f"{site} {process} type {index % 97}"],
                "body_region": rng.choice(REGIONS),
                "category": rng.choice(CATEGORIES),
                "codes": [
                    {
                        "system": "ICD-10-CM",
                        "code": f"{letter}{index % 100:02d}.{index % 10}",
                        "title": f"{site.title()} {tissue} {process}",
                    }
                ],
                "description": sentence(rng, 20),
                "sources": [rng.choice(sources)["slug"]],
            }
        )

    injectates = [
        {
            "slug": f"injectate-{index:05d}",
            "name": f"Dextrose {5 + index % 21}% solution {index}",
            "components": [
                {
                    "substance": "dextrose",
                    "concentration_min_pct": float(5 + index % 21),
                    "concentration_max_pct": float(5 + index % 21),
                    "role": "proliferant",
                },
                {
                    "substance": "lidocaine",
                    "concentration_min_pct": 0.1,
                    "concentration_max_pct": 1.0,
                    "role": "local-anaesthetic",
                },  # fmt: skip
            ],
            "diluent": "sterile water",
            "sources": [rng.choice(sources)["slug"]],
        }
        for index in range(count["injectates"])
    ]
    side_effects = [
        {
            "slug": f"side-effect-{index:05d}",
            "name": f"{rng.choice(SITES).title()} {rng.choice(TISSUES)} reaction {index}",
            "description": sentence(rng, 12),
            "serious": index % 7 == 0,
        }
        for index in range(count["side_effects"])
    ]

    therapies = []
    for index in range(count["therapies"]):

        def pick(items: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
            return rng.sample(items, min(k, len(items)))

        therapies.append(
            {
                "slug": f"therapy-{index:05d}",
                "name": f"{rng.choice(SITES).title()} injection therapy {index}",
                "aliases": [f"IT-{index}", f"{rng.choice(TISSUES)} prolotherapy {index}"],
                "summary": sentence(rng, 30),
                "mechanism": sentence(rng, 25),
                "technique": sentence(rng, 20),
                "sources": sorted({rng.choice(sources)["slug"] for _ in range(3)}),
                "indications": [
                    {"condition": condition["slug"], "source": rng.choice(sources)["slug"]}
                    for condition in pick(conditions, 8)
                ],
                "injectates": [
                    {
                        "injectate": injectate["slug"],
                        "source": rng.choice(sources)["slug"],
                        "depth": rng.choice(["subcutaneous", "intra-articular", "enthesis"]),
                        "sessions": f"{rng.randrange(1, 8)}",
                    }
                    for injectate in pick(injectates, 2)
                ],
                "side_effects": [
                    {
                        "side_effect": effect["slug"],
                        "source": rng.choice(sources)["slug"],
                        "frequency": rng.choice(FREQUENCY),
                    }
                    for effect in pick(side_effects, 3)
                ],
                "facts": [
                    {
                        "topic": rng.choice(TOPICS),
                        "statement": f"{sentence(rng, 15)} ({index}-{position})",
                        "attribution": rng.choice(["proponent", "independent"]),
                        "source": rng.choice(sources)["slug"],
                    }
                    for position in range(3)
                ],
            }
        )

    outcomes = []
    for index in range(count["outcomes"]):
        therapy = rng.choice(therapies)
        condition = rng.choice(therapy["indications"])["condition"]
        low = round(rng.uniform(0, 80), 1)
        outcomes.append(
            {
                "slug": f"outcome-{index:06d}",
                "therapy": therapy["slug"],
                "condition": condition,
                "source": rng.choice(sources)["slug"],
                "measure": rng.choice(MEASURES),
                "finding": sentence(rng, 18),
                "value_min": low,
                "value_max": round(low + rng.uniform(0, 20), 1),
                "unit": rng.choice(["%", "points", "mm"]),
                "follow_up": f"{rng.randrange(1, 104)} weeks",
                "sample_size": rng.randrange(10, 500),
                "evidence_level": rng.choice(EVIDENCE),
            }
        )

    return {
        "sources": sources,
        "conditions": conditions,
        "injectates": injectates,
        "side_effects": side_effects,
        "therapies": therapies,
        "outcomes": outcomes,
    }


def total_records(document: dict[str, Any]) -> int:
    return sum(len(items) for items in document.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    document = generate(args.records, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document), encoding="utf-8")
    print(f"{args.out}: {total_records(document)} top-level records")


if __name__ == "__main__":
    main()
