"""The relevance table of condition search: what clinicians and patients type, and the condition
that must come first, or an empty answer for a condition the knowledge base does not hold.

The queries are written from the vocabulary recorded in data/seed.json (MeSH entry terms,
ICD-10-CM code titles and inclusion terms, abbreviations, each with its source; see
data/CONTENT_NOTES.md), from how clinicians write (word order, word forms, laterality, an extra
word, a typo or a dropped letter), and from conditions that are not in the knowledge base (MeSH
headings and ICD-10-CM titles of other conditions, several sharing words with one that is).

`python -m tests.search.relevance` (`make relevance`) prints first-hit accuracy and recall at 5
on SQLite, and on PostgreSQL too with `--postgres URL` (a throwaway database is made next to
it); `--write` records the first five hits of every query in relevance_hits.json, which
tests/search/test_relevance.py holds each engine to, so that both rank alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.config import PROJECT_ROOT, Settings
from app.main import create_app
from app.store.engine import make_engine, migrate
from app.writes.seed import load_document, validate_document

HITS_FILE = Path(__file__).with_name("relevance_hits.json")
SEED_FILE = PROJECT_ROOT / "data" / "seed.json"
DEPTH = 5

# (query, the condition that must come first, or None for an empty answer, what it tests)
RELEVANCE: list[tuple[str, str | None, str]] = [
    # names, as typed
    ("achilles tendinopathy", "achilles-tendinopathy", "name"),
    ("ankle pain", "ankle-pain", "name"),
    ("bursitis", "bursitis", "name"),
    ("compartment syndrome", "compartment-syndrome", "name"),
    ("fibromyalgia", "fibromyalgia", "name"),
    ("foot pain", "foot-pain", "name"),
    ("headache", "headache", "name"),
    ("hip pain", "hip-pain", "name"),
    ("knee osteoarthritis", "knee-osteoarthritis", "name"),
    ("knee pain", "knee-pain", "name"),
    ("lateral epicondylitis", "lateral-epicondylitis", "name"),
    ("ligament injury", "ligament-injury", "name"),
    ("low back pain", "low-back-pain", "name"),
    ("morton's neuroma", "mortons-neuroma", "name"),
    ("muscle injury", "muscle-injury", "name"),
    ("neck pain", "neck-pain", "name"),
    ("osgood schlatter disease", "osgood-schlatter-disease", "name"),
    ("osteoarthritis", "osteoarthritis", "name"),
    ("plantar fasciitis", "plantar-fasciitis", "name"),
    ("rib pain", "rib-pain", "name"),
    ("rotator cuff tendinopathy", "rotator-cuff-tendinopathy", "name"),
    ("sciatica", "sciatica", "name"),
    ("shoulder pain", "shoulder-pain", "name"),
    ("tendinitis", "tendinitis", "name"),
    ("wrist pain", "wrist-pain", "name"),
    # abbreviations (each defined in a source the condition cites)
    ("OA", "osteoarthritis", "abbreviation"),
    ("KOA", "knee-osteoarthritis", "abbreviation"),
    ("knee OA", "knee-osteoarthritis", "abbreviation"),
    ("LBP", "low-back-pain", "abbreviation"),
    ("CLBP", "low-back-pain", "abbreviation"),
    ("OSD", "osgood-schlatter-disease", "abbreviation"),
    ("lbp", "low-back-pain", "abbreviation"),
    ("OA knee", "knee-osteoarthritis", "abbreviation"),
    # lay terms and MeSH entry terms
    ("tennis elbow", "lateral-epicondylitis", "lay"),
    ("lumbago", "low-back-pain", "lay"),
    ("lower back pain", "low-back-pain", "lay"),
    ("low backache", "low-back-pain", "lay"),
    ("low back ache", "low-back-pain", "lay"),
    ("neck ache", "neck-pain", "lay"),
    ("neckache", "neck-pain", "lay"),
    ("head pain", "headache", "lay"),
    ("muscular rheumatism", "fibromyalgia", "mesh entry term"),
    ("fibrositis", "fibromyalgia", "mesh entry term"),
    ("fibromyositis", "fibromyalgia", "inclusion term"),
    ("myofibrositis", "fibromyalgia", "inclusion term"),
    ("diffuse myofascial pain syndrome", "fibromyalgia", "mesh entry term"),
    ("cephalalgia", "headache", "mesh entry term"),
    ("cephalgia", "headache", "mesh entry term"),
    ("cranial pain", "headache", "mesh entry term"),
    ("cervicodynia", "neck-pain", "mesh entry term"),
    ("cervical pain", "neck-pain", "mesh entry term"),
    ("osteoarthrosis", "osteoarthritis", "mesh entry term"),
    ("degenerative arthritis", "osteoarthritis", "mesh entry term"),
    ("arthrosis", "osteoarthritis", "inclusion term"),
    ("policeman's heel", "plantar-fasciitis", "mesh entry term"),
    ("sciatic neuralgia", "sciatica", "mesh entry term"),
    ("lateral humeral epicondylitis", "lateral-epicondylitis", "mesh entry term"),
    ("morton's disease", "mortons-neuroma", "mesh entry term"),
    ("morton's metatarsalgia", "mortons-neuroma", "inclusion term"),
    ("intermetatarsal neuroma", "mortons-neuroma", "mesh entry term"),
    ("osteoarthritis of knee", "knee-osteoarthritis", "mesh entry term"),
    ("wear and tear arthritis of the knee", "knee-osteoarthritis", "lay"),
    ("heel cord tendinitis", "achilles-tendinopathy", "lay"),
    ("lannelongue disease", "osgood-schlatter-disease", "synonym"),
    ("supraspinatus tendinosis", "rotator-cuff-tendinopathy", "synonym"),
    ("rotator cuff disease", "rotator-cuff-tendinopathy", "synonym"),
    ("loin pain", "low-back-pain", "inclusion term"),
    ("low back vertebral endplate pain", "low-back-pain", "inclusion term"),
    ("primary osteoarthritis of knee", "knee-osteoarthritis", "inclusion term"),
    ("post-traumatic osteoarthritis", "osteoarthritis", "inclusion term"),
    # ICD-10-CM code titles
    ("cervicalgia", "neck-pain", "code title"),
    ("enthesopathy", "tendinitis", "code title"),
    ("bursopathy", "bursitis", "code title"),
    ("plantar fascial fibromatosis", "plantar-fasciitis", "code title"),
    ("lesion of plantar nerve", "mortons-neuroma", "code title"),
    ("juvenile osteochondrosis of tibia tubercle", "osgood-schlatter-disease", "code title"),
    ("vertebrogenic low back pain", "low-back-pain", "code title"),
    ("pain in right ankle and joints of right foot", "ankle-pain", "code title"),
    ("pain in left foot", "foot-pain", "code title"),
    ("pain in unspecified hip", "hip-pain", "code title"),
    ("pain in left knee", "knee-pain", "code title"),
    ("pain in left shoulder", "shoulder-pain", "code title"),
    ("pain in right wrist", "wrist-pain", "code title"),
    ("unilateral primary osteoarthritis right knee", "knee-osteoarthritis", "code title"),
    ("bilateral primary osteoarthritis of knee", "knee-osteoarthritis", "code title"),
    ("secondary osteoarthritis", "osteoarthritis", "code title"),
    ("achilles tendinitis right leg", "achilles-tendinopathy", "code title"),
    ("sciatica left side", "sciatica", "code title"),
    ("headache unspecified", "headache", "code title"),
    # codes
    ("M54.2", "neck-pain", "code"),
    ("M72.2", "plantar-fasciitis", "code"),
    ("M77.9", "tendinitis", "code"),
    ("M71.9", "bursitis", "code"),
    ("M25.531", "wrist-pain", "code"),
    ("M92.523", "osgood-schlatter-disease", "code"),
    ("M17.12", "knee-osteoarthritis", "code"),
    ("G57.63", "mortons-neuroma", "code"),
    # word order and word forms
    ("pain knee", "knee-pain", "word order"),
    ("pain back low", "low-back-pain", "word order"),
    ("elbow tennis", "lateral-epicondylitis", "word order"),
    ("epicondylitis lateral", "lateral-epicondylitis", "word order"),
    ("neuroma morton", "mortons-neuroma", "word order"),
    ("fasciitis plantar", "plantar-fasciitis", "word order"),
    ("knee pain left", "knee-pain", "word order"),
    ("left hip pain", "hip-pain", "word order"),
    ("right shoulder pain", "shoulder-pain", "word order"),
    ("knees", "knee-pain", "word form"),
    ("painful knees", "knee-pain", "word form"),
    ("headaches", "headache", "word form"),
    ("ligament injuries", "ligament-injury", "word form"),
    ("muscle injuries", "muscle-injury", "word form"),
    ("injured ligaments", "ligament-injury", "word form"),
    ("tendinitides", "tendinitis", "word form"),
    ("neuromas", "mortons-neuroma", "word form"),
    ("morton neuroma", "mortons-neuroma", "word form"),
    ("wrists", "wrist-pain", "word form"),
    ("achilles tendons", "achilles-tendinopathy", "word form"),
    ("ankles", "ankle-pain", "word form"),
    # extra words: qualifiers, or the rest names the condition whole
    ("tennis elbow left", "lateral-epicondylitis", "extra word"),
    ("achilles tendon pain", "achilles-tendinopathy", "extra word"),
    ("achilles pain", "achilles-tendinopathy", "extra word"),
    ("chronic low back pain", "low-back-pain", "extra word"),
    ("severe headache", "headache", "extra word"),
    ("sciatica left leg", "sciatica", "extra word"),
    ("plantar fasciitis heel", "plantar-fasciitis", "extra word"),
    ("bilateral knee osteoarthritis", "knee-osteoarthritis", "extra word"),
    ("painful tennis elbow", "lateral-epicondylitis", "extra word"),
    ("fibromyalgia xyzzy", "fibromyalgia", "extra word"),
    ("neck pain stiff", "neck-pain", "extra word"),
    ("chronic neck pain", "neck-pain", "extra word"),
    ("acute wrist pain", "wrist-pain", "extra word"),
    ("my knee hurts", "knee-pain", "extra word"),
    ("bursitis flare", "bursitis", "extra word"),
    # a kind of a broader record: the broader record, as a partial match
    ("cluster headache", "headache", "partial: broader record"),
    ("hip osteoarthritis", "osteoarthritis", "partial: broader record"),
    ("patellar tendinitis", "tendinitis", "partial: broader record"),
    # typos, from four letters on, dropped letters included
    ("achilis tendinopathy", "achilles-tendinopathy", "typo"),
    ("fibromialgia", "fibromyalgia", "typo"),
    ("fibromyalga", "fibromyalgia", "typo"),
    ("sciatca", "sciatica", "typo"),
    ("plantar fascitis", "plantar-fasciitis", "typo"),
    ("tenis elbow", "lateral-epicondylitis", "typo"),
    ("tennis elbw", "lateral-epicondylitis", "typo"),
    ("epicondilitis", "lateral-epicondylitis", "typo"),
    ("osteoarthritus", "osteoarthritis", "typo"),
    ("mortons neurona", "mortons-neuroma", "typo"),
    ("bursits", "bursitis", "typo"),
    ("tendinits", "tendinitis", "typo"),
    ("hedache", "headache", "typo"),
    ("wrst pain", "wrist-pain", "typo"),
    ("shoulder pian", "shoulder-pain", "typo"),
    ("lumbgo", "low-back-pain", "typo"),
    ("osgod schlatter", "osgood-schlatter-disease", "typo"),
    ("cervicalga", "neck-pain", "typo"),
    ("wirst pain", "wrist-pain", "typo"),
    # partial words, as typed
    ("epicond", "lateral-epicondylitis", "prefix"),
    ("fibromy", "fibromyalgia", "prefix"),
    ("osgood", "osgood-schlatter-disease", "prefix"),
    ("plantar fasc", "plantar-fasciitis", "prefix"),
    ("compartment", "compartment-syndrome", "prefix"),
    ("rotator", "rotator-cuff-tendinopathy", "prefix"),
    # conditions that are not in the knowledge base: an empty answer
    ("golfers elbow", None, "not in the knowledge base"),
    ("golfer's elbow", None, "not in the knowledge base"),
    ("medial epicondylitis", None, "not in the knowledge base"),
    ("gout", None, "not in the knowledge base"),
    ("podagra", None, "not in the knowledge base"),
    ("carpal tunnel syndrome", None, "not in the knowledge base"),
    ("trigger finger", None, "not in the knowledge base"),
    ("de quervain disease", None, "not in the knowledge base"),
    ("frozen shoulder", None, "not in the knowledge base"),
    ("adhesive capsulitis", None, "not in the knowledge base"),
    ("shoulder impingement", None, "not in the knowledge base"),
    ("rheumatoid arthritis", None, "not in the knowledge base"),
    ("polymyalgia rheumatica", None, "not in the knowledge base"),
    ("hallux valgus", None, "not in the knowledge base"),
    ("tarsal tunnel syndrome", None, "not in the knowledge base"),
    ("spinal stenosis", None, "not in the knowledge base"),
    ("herniated disc", None, "not in the knowledge base"),
    ("migraine", None, "not in the knowledge base"),
    ("tmj syndrome", None, "not in the knowledge base"),
    ("costochondritis", None, "not in the knowledge base"),
    ("dupuytren contracture", None, "not in the knowledge base"),
    ("piriformis syndrome", None, "not in the knowledge base"),
    ("shin splints", None, "not in the knowledge base"),
    ("ACL injury", None, "not in the knowledge base"),
    ("whiplash", None, "not in the knowledge base"),
    ("meralgia paresthetica", None, "not in the knowledge base"),
    ("coccygodynia", None, "not in the knowledge base"),
    ("iliotibial band syndrome", None, "not in the knowledge base"),
    ("ledderhose disease", None, "not in the knowledge base"),
]


@dataclass
class Outcome:
    """One query's answer: the first hits, and what else the page offered."""

    query: str
    expected: str | None
    kind: str
    hits: list[str]
    did_you_mean: list[str]
    related: list[str]

    @property
    def first_hit_right(self) -> bool:
        return (self.hits[:1] == [self.expected]) if self.expected else not self.hits

    @property
    def found_in_five(self) -> bool:
        return self.expected in self.hits if self.expected else not self.hits


def run_table(client: TestClient, path: str = "/v1/conditions", **params: Any) -> list[Outcome]:
    """Each query of the table, asked through the API."""
    outcomes = []
    for query, expected, kind in RELEVANCE:
        response = client.get(path, params={"q": query, "limit": DEPTH, **params})
        assert response.status_code == 200, (query, response.text)
        body = response.json()
        outcomes.append(
            Outcome(
                query,
                expected,
                kind,
                [item["slug"] for item in body["items"]],
                body["did_you_mean"],
                [item["slug"] for item in body["related"]],
            )
        )
    return outcomes


def misleading_corrections(client: TestClient, outcomes: list[Outcome]) -> list[str]:
    """The queries whose `did_you_mean`, followed, leads first to another condition (or to
    any condition, for one the knowledge base does not hold)."""
    wrong = []
    for outcome in outcomes:
        for correction in outcome.did_you_mean:
            response = client.get("/v1/conditions", params={"q": correction, "limit": 1})
            first = [item["slug"] for item in response.json()["items"]][:1]
            if first != ([outcome.expected] if outcome.expected else []):
                wrong.append(f"{outcome.query!r} -> {correction!r} -> {first}")
    return wrong


def scores(outcomes: list[Outcome]) -> tuple[float, float]:
    """First-hit accuracy and recall at 5 (an empty answer counts as right when expected)."""
    count = len(outcomes)
    first = sum(outcome.first_hit_right for outcome in outcomes) / count
    recall = sum(outcome.found_in_five for outcome in outcomes) / count
    return first, recall


# --------------------------------------------------------------------------------------------
# make relevance
# --------------------------------------------------------------------------------------------


@contextmanager
def _seeded_client(url: str) -> Iterator[TestClient]:
    engine = make_engine(url)
    migrate(engine)
    load_document(engine, validate_document(json.loads(SEED_FILE.read_text(encoding="utf-8"))))
    with TestClient(create_app(Settings(database_url=url), engine=engine)) as client:
        yield client
    engine.dispose()


@contextmanager
def _database(postgres: str | None) -> Iterator[str]:
    """A throwaway database: a SQLite file, or a PostgreSQL database next to `postgres`."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/relevance.sqlite3"
        return
    name = f"kb_relevance_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _report(engine_name: str, outcomes: list[Outcome], misleading: list[str]) -> None:
    first, recall = scores(outcomes)
    absent = sum(outcome.expected is None for outcome in outcomes)
    print(
        f"{engine_name}: {len(outcomes)} queries ({absent} not in the knowledge base): "
        f"first-hit accuracy {first:.1%}, recall at 5 {recall:.1%}, "
        f"misleading did_you_mean {len(misleading)}"
    )
    for outcome in outcomes:
        if not outcome.first_hit_right:
            print(f"  first hit wrong: {outcome.query!r} ({outcome.kind}): {outcome.hits}")
    for line in misleading:
        print(f"  misleading correction: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--postgres", help="a PostgreSQL URL to make a throwaway database next to")
    parser.add_argument("--write", action="store_true", help=f"record the hits in {HITS_FILE}")
    args = parser.parse_args(argv)
    engines: list[tuple[str, str | None]] = [("SQLite", None)]
    if args.postgres:
        try:
            with make_engine(args.postgres).connect():
                engines.append(("PostgreSQL", args.postgres))
        except OperationalError:
            print(f"PostgreSQL: nothing answers at {args.postgres}; SQLite only")
    rankings: dict[str, dict[str, list[str]]] = {}
    for engine_name, postgres in engines:
        with _database(postgres) as url, _seeded_client(url) as client:
            outcomes = run_table(client)
            _report(engine_name, outcomes, misleading_corrections(client, outcomes))
            rankings[engine_name] = {outcome.query: outcome.hits for outcome in outcomes}
    if len(rankings) == 2:
        same = rankings["SQLite"] == rankings["PostgreSQL"]
        print(f"same first {DEPTH} hits on both engines: {'yes' if same else 'NO'}")
    if args.write:
        HITS_FILE.write_text(json.dumps(rankings["SQLite"], indent=1) + "\n", encoding="utf-8")
        print(f"wrote {HITS_FILE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
