"""Search: normal forms (no database), the query table on the curated data, index upkeep.

The query table runs through the HTTP API on whichever engine the suite runs on (SQLite, or
PostgreSQL with TEST_DATABASE_URL), so passing on both runs is passing on both engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func
from sqlmodel import Session, col, select

from app.models import (
    Condition,
    MatchField,
    SearchIndexState,
    SearchTerm,
    SearchToken,
    SearchType,
)
from app.search.index import INDEX_FORMAT, index_record, term_rank, unindex_record
from app.search.query import MAX_QUERY_WORDS, leading_key, parse_query, search, snippet
from app.search.text import (
    WEIGHTS,
    compact_key,
    max_typos,
    normalize,
    stem,
    stems_of,
    successor,
    trigrams,
    words_of,
)
from tests.factories import seed_document

Load = Callable[[dict[str, Any]], None]

# --------------------------------------------------------------------------------------------
# Normal forms
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Morton's neuroma", "mortons neuroma"),
        ("Morton’s  Neuroma", "mortons neuroma"),
        ("Épicondylite LATÉRALE", "epicondylite laterale"),
        ("Osgood–Schlatter disease", "osgood schlatter disease"),
        ("low_back_pain", "low back pain"),
        ("12.5% dextrose (D5W)", "12 5 dextrose d5w"),
        ("  tennis\t\nelbow  ", "tennis elbow"),
        ("Straße", "strasse"),
        ("%_'", ""),
        ("", ""),
    ],
)
def test_normalize_folds_case_accents_and_punctuation(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_compact_key_drops_punctuation_and_spaces() -> None:
    assert compact_key("M77.10") == "m7710"
    assert compact_key("10.1016/j.apmr.2015.08.412") == "101016japmr201508412"


def test_words_of_drops_stopwords_and_repeats() -> None:
    assert words_of("wear and tear arthritis of the knee knee") == [
        "wear",
        "tear",
        "arthritis",
        "knee",
    ]


@pytest.mark.parametrize(
    ("words", "stems"),
    [
        (["knees", "knee"], "knee"),
        (["injuries", "injury"], "injuri"),
        (["tendons", "tendon"], "tendon"),
        # medical endings kept whole: the stemmer would make "tendonitis" the tendon
        (["tendonitis"], "tendonitis"),
        (["epicondylitides", "epicondylitis"], "epicondylitis"),
        (["osteoarthroses", "osteoarthrosis"], "osteoarthrosis"),
        (["neuromas", "neuroma"], "neuroma"),
        (["tendinopathies", "tendinopathy"], "tendinopathy"),
        (["lateral"], "lateral"),  # not "later"
        (["oa"], "oa"),
        (["fms"], "fms"),  # short: an abbreviation, kept
        (["m77"], "m77"),
    ],
)
def test_stem_folds_word_forms_and_keeps_medical_terms(words: list[str], stems: str) -> None:
    assert {stem(word) for word in words} == {stems}


def test_words_of_and_stems_of_drop_stop_words_of_a_query() -> None:
    assert stems_of(words_of("my knees have been hurting")) == ["knee", "hurt"]


def test_trigrams_pad_the_word() -> None:
    assert trigrams("knee") == [" kn", "ee ", "kne", "nee"]


def test_successor_bounds_every_string_with_the_prefix() -> None:
    upper = successor("epicond")
    assert upper == "epicone"
    assert "epicond" <= "epicondylitis" < upper
    assert not ("epicone" < upper)
    assert successor("a\U0010ffff") == "b"
    assert successor("\U0010ffff") is None


def test_max_typos_grows_with_word_length() -> None:
    assert [max_typos(word) for word in ("koa", "knee", "elbow", "achilis")] == [0, 1, 1, 2]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("M77.1", "m771"),
        ("m54", "m54"),
        ("26301385", "26301385"),
        ("NCT01547364", "nct01547364"),
        ("10.1016/j.apmr.2015.08.412", "101016japmr201508412"),
        ("tennis elbow", None),
        ("50%", None),
        ("koa", None),
    ],
)
def test_parse_query_finds_code_like_input(raw: str, key: str | None) -> None:
    assert parse_query(raw).key == key


def test_parse_query_keeps_ten_words() -> None:
    query = parse_query(" ".join(f"w{index}x" for index in range(15)))
    assert len(query.words) == 10
    assert query.words[-1] == "w9x"


def test_snippet_marks_matched_words_and_escapes_html() -> None:
    query = parse_query("morton")
    text = "Morton's <b>neuroma</b> & Morton's syndrome"
    assert snippet(text, MatchField.name, query, {"morton": {"mortons": 0}}) == (
        "<mark>Morton's</mark> &lt;b&gt;neuroma&lt;/b&gt; &amp; <mark>Morton's</mark> syndrome"
    )


def test_snippet_cuts_long_text_around_the_first_match() -> None:
    text = " ".join(["filler"] * 60) + " fibromyalgia " + " ".join(["after"] * 60)
    query = parse_query("fibromyalgia")
    result = snippet(text, MatchField.description, query, {"fibromyalgia": {}})
    assert result.startswith("…") and result.endswith("…")
    assert "<mark>fibromyalgia</mark>" in result
    assert len(result.replace("<mark>", "").replace("</mark>", "")) <= 162


def test_snippet_marks_a_whole_code() -> None:
    query = parse_query("M77.1")
    assert snippet("M77.10", MatchField.code, query, {}) == "<mark>M77.10</mark>"


# the parts of a hit's sort key that `leading_key` packs, each over every value it can take
key_parts = st.tuples(
    st.booleans(),  # exact
    st.integers(0, MAX_QUERY_WORDS),  # words matched
    st.integers(0, 3 * MAX_QUERY_WORDS),  # typos: at most 3 a word (relaxed)
    st.integers(0, MAX_QUERY_WORDS),  # words matched only as a prefix
    st.integers(0, 2**32 - 1),  # the term's words left unmatched
    st.booleans(),  # the query is the term's prefix
    st.sampled_from(sorted(set(WEIGHTS.values()))),  # field weight
)


def _as_tuple(parts: tuple[Any, ...]) -> tuple[Any, ...]:
    exact, matched, typos, partial, unmatched, prefix, weight = parts
    return (not exact, -matched, typos, partial, unmatched, not prefix, -weight)


@given(key_parts, key_parts)
def test_leading_key_orders_as_the_tuple_of_its_parts(a: tuple[Any, ...], b: tuple[Any, ...]):
    assert (leading_key(*a) < leading_key(*b)) == (_as_tuple(a) < _as_tuple(b))
    assert (leading_key(*a) == leading_key(*b)) == (a == b)


term_shapes = st.tuples(
    st.integers(1, 5000),  # words
    st.sampled_from(sorted(set(WEIGHTS.values()))),  # field weight
    st.integers(1, 10**6),  # length of the normal form
)


@given(term_shapes, term_shapes)
def test_term_rank_puts_fewer_words_first_then_weight_then_length(a, b) -> None:
    def expected(words: int, weight: int, length: int) -> tuple[int, int, int]:
        return min(words, 999), -weight, min(length, 999)

    assert (term_rank(*a) < term_rank(*b)) == (expected(*a) < expected(*b))
    assert 0 <= term_rank(*a) < 2**31  # PostgreSQL's INTEGER


# --------------------------------------------------------------------------------------------
# The query table: what a clinician types, and the record that must come first
# --------------------------------------------------------------------------------------------

LONG_QUERY = ("tennis elbow " * 20)[:200]

CONDITION_QUERIES: list[tuple[str, str, str | None]] = [
    # lay names
    ("tennis elbow", "lateral-epicondylitis", "synonym"),
    ("lumbago", "low-back-pain", "synonym"),
    ("loin pain", "low-back-pain", "synonym"),
    ("back pain", "low-back-pain", "name"),
    ("heel cord tendinitis", "achilles-tendinopathy", "synonym"),
    ("wear and tear arthritis of the knee", "knee-osteoarthritis", "synonym"),
    ("knee", "knee-pain", "name"),
    ("headache", "headache", "name"),
    # clinical synonyms
    ("lateral epicondylalgia", "lateral-epicondylitis", "synonym"),
    ("achilles tendinosis", "achilles-tendinopathy", "synonym"),
    ("fibrositis", "fibromyalgia", "synonym"),
    ("intermetatarsal neuroma", "mortons-neuroma", "synonym"),
    ("supraspinatus tendinosis", "rotator-cuff-tendinopathy", "synonym"),
    ("mortons neuroma", "mortons-neuroma", "name"),
    ("tendonitis", "achilles-tendinopathy", "synonym"),
    # codes and code prefixes
    ("M77.1", "lateral-epicondylitis", "code"),
    ("M79.7", "fibromyalgia", "code"),
    ("m54.2", "neck-pain", "code"),
    ("R51.9", "headache", "code"),
    ("M7710", "lateral-epicondylitis", "code"),
    ("G57", "mortons-neuroma", "code"),
    ("M17", "knee-osteoarthritis", "code"),
    # prefixes, as typed
    ("epicond", "lateral-epicondylitis", "name"),
    ("osgood", "osgood-schlatter-disease", "name"),
    ("plantar fasc", "plantar-fasciitis", "name"),
    ("traction apophysitis", "osgood-schlatter-disease", "synonym"),
    # typos
    ("epicondilitis", "lateral-epicondylitis", "name"),
    ("achilis", "achilles-tendinopathy", "name"),
    ("fibromyalga", "fibromyalgia", "name"),
    ("sciatia", "sciatica", "name"),
    ("plantar fascitis", "plantar-fasciitis", "name"),
    ("mortons neurona", "mortons-neuroma", "name"),
    ("osteoarthritus", "osteoarthritis", "name"),
    # accents and mixed case
    ("Épicondylite latérale", "lateral-epicondylitis", "name"),
    ("Mortón’s neuróma", "mortons-neuroma", "name"),
    ("Osgood–Schlatter", "osgood-schlatter-disease", "name"),
    ("ACHILLES TENDINOPATHY", "achilles-tendinopathy", "name"),
    ("LoW BaCk PaIn", "low-back-pain", "name"),
    ("koa", "knee-osteoarthritis", "synonym"),
    # empty input is no text filter: the list in its default order, nothing matched
    ("", "achilles-tendinopathy", None),
    ("   ", "achilles-tendinopathy", None),
    # 200 characters
    (LONG_QUERY, "lateral-epicondylitis", "synonym"),
    # SQL-looking input, percent and underscore are plain text
    ("sciatica'; --", "sciatica", "name"),
    ("low_back_pain", "low-back-pain", "name"),
    ("%knee%", "knee-pain", "name"),
    ("tennis%elbow", "lateral-epicondylitis", "synonym"),
]

NO_CONDITION_QUERIES = [
    "%",
    "_",
    "%%__%%",
    "50%",
    "x" * 200,
    "'; DROP TABLE conditions; --",
    "knee' OR '1'='1",
]

SEARCH_QUERIES: list[tuple[str, str, str]] = [
    ("pneumothorax", "side-effect", "pneumothorax"),
    ("spinal headache", "side-effect", "spinal-headache"),
    ("bruising", "side-effect", "injection-site-bruising"),
    ("neural prolotherapy", "therapy", "perineural-injection-therapy"),
    ("PIT", "therapy", "perineural-injection-therapy"),
    ("Hackett-Hemwall", "therapy", "prolotherapy"),
    ("proloterapy", "therapy", "prolotherapy"),
    ("D5W", "injectate", "dextrose-5-in-water"),
    ("5% dextrose", "injectate", "dextrose-5-in-water"),
    ("26301385", "source", "bertrand-2016-rotator-cuff-rct"),
    ("10.1016/j.apmr.2015.08.412", "source", "bertrand-2016-rotator-cuff-rct"),
    ("achilles", "condition", "achilles-tendinopathy"),
]


@pytest.mark.parametrize(("q", "slug", "field"), CONDITION_QUERIES)
def test_list_conditions_q_puts_expected_condition_first(
    seeded_client: TestClient, q: str, slug: str, field: str | None
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": q})
    assert response.status_code == 200
    first = response.json()["items"][0]
    assert first["slug"] == slug
    assert (first["match"] or {}).get("field") == field


@pytest.mark.parametrize("q", NO_CONDITION_QUERIES)
def test_list_conditions_q_treats_wildcards_and_sql_as_text(
    seeded_client: TestClient, q: str
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": q})
    assert response.status_code == 200
    assert (response.json()["items"], response.json()["total"]) == ([], 0)
    # the table is still there, whole
    assert seeded_client.get("/v1/conditions").json()["total"] == 25


@pytest.mark.parametrize(("q", "record_type", "slug"), SEARCH_QUERIES)
def test_list_search_hits_puts_expected_record_first(
    seeded_client: TestClient, q: str, record_type: str, slug: str
) -> None:
    response = seeded_client.get("/v1/search", params={"q": q})
    assert response.status_code == 200
    first = response.json()["items"][0]
    assert (first["type"], first["slug"]) == (record_type, slug)


def test_query_table_has_forty_queries() -> None:
    assert len(CONDITION_QUERIES) + len(NO_CONDITION_QUERIES) + len(SEARCH_QUERIES) >= 40


def test_list_conditions_q_reports_match_text(seeded_client: TestClient) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": "M77.1"})
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body["items"]] == ["lateral-epicondylitis"]
    assert body["items"][0]["match"] == {
        "field": "code",
        "text": "M77.10",
        "matched_words": ["m77", "1"],
        "unmatched_words": [],
    }
    assert body["did_you_mean"] == []


def test_list_conditions_q_corrects_spelling_when_only_typos_match(
    seeded_client: TestClient,
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": "achilis tendinopaty"})
    assert response.status_code == 200
    body = response.json()
    assert body["items"][0]["slug"] == "achilles-tendinopathy"
    assert body["did_you_mean"] == ["achilles tendinopathy"]
    assert body["message"] is None


def test_list_conditions_q_gives_partial_matches_when_no_condition_has_every_word(
    seeded_client: TestClient,
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": "tennis elbo throbbing"})
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body["items"]] == ["lateral-epicondylitis"]
    assert body["items"][0]["match"] == {
        "field": "synonym",
        "text": "tennis elbow",
        "matched_words": ["tennis", "elbo"],
        "unmatched_words": ["throbbing"],
    }
    assert body["did_you_mean"] == []
    assert body["message"].startswith("No condition matches every word of 'tennis elbo throbbing'")


def test_list_conditions_q_lists_other_conditions_as_related_never_as_corrections(
    seeded_client: TestClient,
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": "golfer's elbow"})
    assert response.status_code == 200
    body = response.json()
    assert (body["items"], body["total"], body["did_you_mean"]) == ([], 0, [])
    assert body["related"] == [
        {
            "type": "condition",
            "slug": "lateral-epicondylitis",
            "title": "Lateral epicondylitis",
            "shared_words": ["elbow"],
            "why": "It shares 'elbow' with the query, but the query's other words do not name "
            "it: a different record, not a correction.",
        }
    ]
    assert body["message"].startswith("No condition in the knowledge base matches")


def test_list_conditions_q_not_in_the_knowledge_base_is_an_honest_empty_answer(
    seeded_client: TestClient,
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": "gout"})
    assert response.status_code == 200
    body = response.json()
    assert (body["items"], body["did_you_mean"], body["related"]) == ([], [], [])
    assert body["message"] == "No condition in the knowledge base matches 'gout'."


def test_list_conditions_q_matches_code_titles_word_forms_and_any_order(
    seeded_client: TestClient,
) -> None:
    for q, slug, field in [
        ("cervicalgia", "neck-pain", "synonym"),
        ("enthesopathy", "tendinitis", "code-title"),
        ("knee left pain", "knee-pain", "code-title"),
        ("injured ligaments", "ligament-injury", "name"),
    ]:
        response = seeded_client.get("/v1/conditions", params={"q": q})
        assert response.status_code == 200, q
        first = response.json()["items"][0]
        assert (first["slug"], first["match"]["field"]) == (slug, field), q
        assert first["match"]["unmatched_words"] == [], q


def test_list_conditions_q_orders_code_prefix_hits_by_closeness(
    seeded_client: TestClient,
) -> None:
    response = seeded_client.get("/v1/conditions", params={"q": "M54"})
    assert response.status_code == 200
    assert [item["slug"] for item in response.json()["items"]] == [
        "neck-pain",
        "low-back-pain",
        "sciatica",
    ]


# --------------------------------------------------------------------------------------------
# Keeping the index in step
# --------------------------------------------------------------------------------------------


def condition_hits(engine: Engine, q: str) -> list[str]:
    with engine.connect() as connection:
        return [hit.slug for hit in search(connection, q, types=[SearchType.condition]).hits]


def test_sync_document_indexes_renamed_and_drops_removed_records(
    engine: Engine, load: Load
) -> None:
    raw = seed_document()
    load(raw)
    assert condition_hits(engine, "achilles") == ["achilles-tendinopathy"]
    raw["conditions"][0]["name"] = "Heel tendinopathy"
    raw["conditions"][0]["synonyms"] = []
    raw["conditions"][0]["codes"] = []  # its code title says Achilles too
    raw["conditions"][1]["synonyms"] = ["gonarthrosis"]
    load(raw)
    assert condition_hits(engine, "achilles") == []
    assert condition_hits(engine, "heel") == ["achilles-tendinopathy"]
    assert condition_hits(engine, "gonarthrosis") == ["knee-osteoarthritis"]
    raw["therapies"][1]["indications"] = []
    raw["therapies"][1]["injectates"][0].pop("condition")
    raw["outcomes"] = [item for item in raw["outcomes"] if item["slug"] != "trial-2013-womac"]
    raw["conditions"].pop(1)
    load(raw)
    assert condition_hits(engine, "knee") == []
    with Session(engine) as session:
        terms = session.exec(
            select(func.count()).where(SearchTerm.slug == "knee-osteoarthritis")
        ).one()
    assert terms == 0


def test_sync_document_leaves_index_alone_when_nothing_changed(engine: Engine, load: Load) -> None:
    load(seed_document())
    with Session(engine) as session:
        before = session.exec(select(SearchTerm.id).order_by(col(SearchTerm.id))).all()
    load(seed_document())
    with Session(engine) as session:
        after = session.exec(select(SearchTerm.id).order_by(col(SearchTerm.id))).all()
    assert after == before and before


def test_sync_document_rebuilds_index_of_another_format(engine: Engine, load: Load) -> None:
    load(seed_document())
    with Session(engine) as session:
        # an index of an older format: its rows unusable, its format number says so
        session.exec(delete(SearchToken))
        session.exec(delete(SearchTerm))
        session.merge(SearchIndexState(id=1, format=INDEX_FORMAT - 1))
        session.commit()
    assert condition_hits(engine, "achilles") == []
    load(seed_document())  # no record changed, but the index is rebuilt
    assert condition_hits(engine, "achilles") == ["achilles-tendinopathy"]
    with Session(engine) as session:
        state = session.get(SearchIndexState, 1)
        assert state is not None and state.format == INDEX_FORMAT


def test_index_record_reindexes_one_changed_record(engine: Engine, load: Load) -> None:
    load(seed_document())
    with Session(engine) as session:
        condition = session.exec(
            select(Condition).where(Condition.slug == "knee-osteoarthritis")
        ).one()
        condition.synonyms = ["gonarthrosis"]
        session.add(condition)
        session.flush()
        index_record(session, condition)
        session.commit()
    assert condition_hits(engine, "gonarthros") == ["knee-osteoarthritis"]
    with Session(engine) as session:
        condition = session.exec(
            select(Condition).where(Condition.slug == "knee-osteoarthritis")
        ).one()
        unindex_record(session, condition)
        session.commit()
    assert condition_hits(engine, "gonarthrosis") == []
    assert condition_hits(engine, "knee") == []
