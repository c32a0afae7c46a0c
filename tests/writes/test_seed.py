"""The seed validator, the loader (one transaction, idempotent, in-place updates) and export."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.models import Condition, DatasetState, Indication, Outcome, Therapy
from app.writes.seed import (
    SeedError,
    export_bytes,
    load_document,
    parse_document,
    validate_document,
)
from tests.factories import seed_document

Load = Callable[[dict[str, Any]], None]


def problems_of(raw: Any) -> list[str]:
    with pytest.raises(SeedError) as caught:
        validate_document(raw)
    return [str(problem) for problem in caught.value.problems]


def export(engine: Engine) -> bytes:
    with Session(engine) as session:
        return export_bytes(session)


def test_validate_document_accepts_factory_document() -> None:
    document = validate_document(seed_document())
    assert [therapy.slug for therapy in document.therapies] == [
        "perineural-injection-therapy",
        "prolotherapy",
    ]


def test_validate_document_reports_dangling_reference_with_path() -> None:
    raw = seed_document()
    raw["therapies"][1]["indications"][0]["condition"] = "foo"
    assert problems_of(raw) == ["therapies[1].indications[0].condition: unknown condition 'foo'"]


def test_validate_document_reports_every_problem_together() -> None:
    raw = seed_document()
    raw["therapies"][0]["colour"] = "blue"  # unknown key
    raw["conditions"].append(dict(raw["conditions"][0]))  # duplicate slug
    raw["outcomes"][0]["evidence_level"] = "anecdote"  # outside the vocabulary
    raw["outcomes"][2]["sample_size"] = -3  # outside the range
    raw["outcomes"][1]["source"] = "nowhere"  # dangling reference
    problems = problems_of(raw)
    assert len(problems) == 5
    assert "therapies[0].colour: Extra inputs are not permitted" in problems
    assert (
        "conditions[2].slug: duplicate condition slug 'achilles-tendinopathy'"
        " (first at conditions[0])"
    ) in problems
    assert any(p.startswith("outcomes[0].evidence_level: Input should be") for p in problems)
    assert any(p.startswith("outcomes[2].sample_size: Input should be greater") for p in problems)
    assert "outcomes[1].source: unknown source 'nowhere'" in problems


def test_validate_document_reports_duplicate_link() -> None:
    raw = seed_document()
    indications = raw["therapies"][0]["indications"]
    indications.append(dict(indications[0]))
    assert problems_of(raw) == [
        "therapies[0].indications[1]: duplicate indication (same as indications[0])"
    ]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("sources", 1, "doi"), "doi:10.1/x", "sources[1].doi: String should match pattern"),
        (("sources", 1, "pmid"), "PMID123", "sources[1].pmid: String should match pattern"),
        (
            ("sources", 1, "trial_registration"),
            "NCT123",
            "sources[1].trial_registration: String should match pattern",
        ),
        (("outcomes", 0, "slug"), "Not A Slug", "outcomes[0].slug: String should match"),
        (("therapies", 0, "summary"), "", "therapies[0].summary: String should have at least"),
    ],
)
def test_validate_document_refuses_malformed_identifier(
    path: tuple[Any, ...], value: Any, expected: str
) -> None:
    raw = seed_document()
    target: Any = raw
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problems = problems_of(raw)
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_validate_document_refuses_malformed_code() -> None:
    raw = seed_document()
    raw["conditions"][0]["codes"][0]["code"] = "M7.6"
    assert problems_of(raw) == [
        "conditions[0].codes[0]: Value error, 'M7.6' is not a well-formed ICD-10-CM code"
    ]


def test_validate_document_refuses_inverted_range() -> None:
    raw = seed_document()
    raw["outcomes"][0]["value_min"] = 100
    raw["outcomes"][0]["value_max"] = 80
    assert problems_of(raw) == [
        "outcomes[0]: Value error, value: minimum 100.0 is above maximum 80.0"
    ]


def test_parse_document_reports_invalid_json_position() -> None:
    with pytest.raises(SeedError) as caught:
        parse_document(b'{"sources": [}')
    assert str(caught.value.problems[0]).startswith("$: invalid JSON at line 1 column 14")


def test_parse_document_refuses_non_object() -> None:
    with pytest.raises(SeedError) as caught:
        parse_document(b"[]")
    assert [str(p) for p in caught.value.problems] == ["$: the document must be a JSON object"]


def test_load_document_twice_changes_nothing(engine: Engine) -> None:
    document = validate_document(seed_document())
    first = load_document(engine, document)
    before = export(engine)
    second = load_document(engine, document)
    assert len(first) > 0
    assert second == []
    assert export(engine) == before
    with Session(engine) as session:
        state = session.get(DatasetState, 1)
        assert state is not None and state.version == 1 and state.seeded


def test_load_document_updates_changed_record_in_place(engine: Engine, load: Load) -> None:
    load(seed_document())
    with Session(engine) as session:
        before = session.exec(select(Therapy).where(Therapy.slug == "prolotherapy")).one()
        before_id, before_created = before.id, before.created_at
    raw = seed_document()
    raw["therapies"][1]["summary"] = "A changed summary."
    changes = load_document(engine, validate_document(raw))
    assert [str(change) for change in changes] == ["change therapy prolotherapy"]
    with Session(engine) as session:
        after = session.exec(select(Therapy).where(Therapy.slug == "prolotherapy")).one()
        assert (after.id, after.created_at, after.version) == (before_id, before_created, 2)
        assert after.summary == "A changed summary."
        assert after.updated_at > before_created
        state = session.get(DatasetState, 1)
        assert state is not None and state.version == 2


def test_load_document_removes_records_it_no_longer_holds(engine: Engine, load: Load) -> None:
    load(seed_document())
    raw = seed_document()
    raw["therapies"] = [t for t in raw["therapies"] if t["slug"] != "prolotherapy"]
    raw["outcomes"] = [o for o in raw["outcomes"] if o["therapy"] != "prolotherapy"]
    raw["conditions"] = [c for c in raw["conditions"] if c["slug"] != "knee-osteoarthritis"]
    changes = {str(change) for change in load_document(engine, validate_document(raw))}
    assert "remove therapy prolotherapy" in changes
    assert "remove condition knee-osteoarthritis" in changes
    assert "remove outcome trial-2013-womac" in changes
    with Session(engine) as session:
        assert session.exec(select(Therapy.slug)).all() == ["perineural-injection-therapy"]
        assert session.exec(select(Condition.slug)).all() == ["achilles-tendinopathy"]
        assert len(session.exec(select(Indication)).all()) == 1
        assert len(session.exec(select(Outcome)).all()) == 2


def test_load_document_dry_run_writes_nothing(engine: Engine) -> None:
    changes = load_document(engine, validate_document(seed_document()), dry_run=True)
    assert len(changes) > 0
    with Session(engine) as session:
        assert session.exec(select(Therapy)).all() == []
        assert session.get(DatasetState, 1) is None


def test_export_round_trips_byte_for_byte(engine: Engine, load: Load) -> None:
    load(seed_document())
    first = export(engine)
    load(json.loads(first))
    assert export(engine) == first
    assert validate_document(json.loads(first)).therapies[0].indications[0].condition == (
        "achilles-tendinopathy"
    )


def test_export_round_trips_curated_seed(engine: Engine, load: Load) -> None:
    from tests.conftest import SEED_FILE

    load(json.loads(SEED_FILE.read_text(encoding="utf-8")))
    first = export(engine)
    load(json.loads(first))
    assert export(engine) == first
    assert json.loads(first)["therapies"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def corrupted_documents(draw: st.DrawFn) -> dict[str, Any]:
    """The factory document with one value somewhere replaced by arbitrary JSON."""
    raw = seed_document()
    target: Any = raw
    path: list[Any] = []
    while isinstance(target, dict | list) and target and (not path or draw(st.booleans())):
        key = draw(
            st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target)))
        )
        path.append(key)
        if not isinstance(target[key], dict | list) or not target[key]:
            break
        target = target[key]
    value = draw(json_values)
    if path:
        container: Any = raw
        for key in path[:-1]:
            container = container[key]
        container[path[-1]] = value
    return raw


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=corrupted_documents())
def test_load_invalid_document_reports_paths_and_leaves_database(
    engine: Engine, raw: dict[str, Any]
) -> None:
    load_document(engine, validate_document(seed_document()))
    before = export(engine)
    try:
        document = validate_document(raw)
    except SeedError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path and problem.message
    else:
        load_document(engine, document)
        load_document(engine, validate_document(seed_document()))
    assert export(engine) == before
