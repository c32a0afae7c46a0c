"""app/reads/: bodies the database writes equal the read models' own serialization, as the
test oracle (tests/oracle.py, the ORM and pydantic) builds them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from app.models import (
    EVIDENCE_RANK,
    Condition,
    ConditionListItem,
    ConditionTherapy,
    EvidenceLevel,
    Fact,
    Indication,
    InjectateUse,
    Outcome,
    SideEffect,
    SideEffectReport,
    Therapy,
    TherapyDetail,
    TherapySource,
    TherapySummary,
)
from app.reads.pages import order_by
from app.search.text import compact_key
from tests.factories import seed_document
from tests.oracle import (
    evidence_summary_of,
    facts_where,
    get_by_slug,
    indications_where,
    injectate_uses_where,
    outcome_details,
    outcomes_statement,
    outcomes_where,
    row_fields,
    side_effect_reports_where,
    sources_of,
    weighed_key,
)


def therapy_detail_from_models(session: Session, slug: str) -> dict[str, Any]:
    """The detail as the ORM and pydantic build it (the path the JSON statements replace)."""
    therapy = get_by_slug(session, Therapy, slug, label="therapy")
    detail = TherapyDetail.model_validate(
        row_fields(therapy, TherapyDetail)
        | {
            "indications": indications_where(session, Indication.therapy_id == therapy.id),
            "injectates": injectate_uses_where(session, InjectateUse.therapy_id == therapy.id),
            "side_effects": side_effect_reports_where(
                session, SideEffectReport.therapy_id == therapy.id
            ),
            "facts": facts_where(session, Fact.therapy_id == therapy.id),
            "outcomes": outcomes_where(session, Outcome.therapy_id == therapy.id),
            "sources": sources_of(session, TherapySource, TherapySource.therapy_id, therapy.id),
        }
    )
    return detail.model_dump(mode="json")


def test_therapy_details_equal_the_models_serialization(
    seeded_client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        slugs = list(session.exec(select(Therapy.slug)).all())
        expected = {slug: therapy_detail_from_models(session, slug) for slug in slugs}
    assert len(slugs) >= 3
    for slug in slugs:
        response = seeded_client.get(f"/v1/therapies/{slug}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == expected[slug], slug


def test_therapy_detail_writes_timestamps_booleans_and_missing_links_as_pydantic_does(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None], engine: Engine
) -> None:
    load(seed_document())
    whole_second = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    with_micros = dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=dt.UTC)
    with Session(engine) as session:
        therapy = session.exec(select(Therapy).order_by(Therapy.slug)).first()
        assert therapy is not None
        slug, therapy_id = therapy.slug, therapy.id
        session.execute(
            update(Therapy)
            .where(Therapy.id == therapy_id)  # type: ignore[arg-type]
            .values(created_at=whole_second, updated_at=with_micros)
        )
        session.execute(update(SideEffect).values(serious=False))
        session.execute(update(Fact).values(verified=True))
        session.execute(
            update(InjectateUse)
            .where(InjectateUse.therapy_id == therapy_id)  # type: ignore[arg-type]
            .values(condition_id=None)
        )
        session.commit()
        expected = therapy_detail_from_models(session, slug)
    response = make_client().get(f"/v1/therapies/{slug}")
    assert response.status_code == 200
    body = response.json()
    assert body == expected
    assert (body["created_at"], body["updated_at"]) == (
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05.120000Z",
    )
    assert all(use["condition"] is None for use in body["injectates"])
    assert body["injectates"], "the factory therapy should use an injectate"
    assert body["side_effects"] and body["facts"]
    assert all(report["side_effect"]["serious"] is False for report in body["side_effects"])
    assert all(fact["verified"] is True for fact in body["facts"])


AWKWARD_TEXT = 'quote " backslash \\ brace } bracket ] tab \t newline \n \x01 é 痛 😀'


def test_therapy_detail_escapes_text_and_keeps_the_models_field_order(
    make_client: Callable[[], TestClient], load: Callable[[dict[str, Any]], None], engine: Engine
) -> None:
    # On SQLite the detail object is assembled as text around its arrays (app/reads/sql_json.py
    # _object_sqlite): keys in the model's order, every value escaped as JSON requires.
    # (Not byte for byte pydantic's: a JSON column keeps the escapes it was stored with.)
    load(seed_document())
    with Session(engine) as session:
        therapy = session.exec(select(Therapy).order_by(Therapy.slug)).first()
        assert therapy is not None
        slug = therapy.slug
        session.execute(
            update(Therapy)
            .where(Therapy.id == therapy.id)  # type: ignore[arg-type]
            .values(notes=AWKWARD_TEXT, aliases=[AWKWARD_TEXT])
        )
        session.execute(update(Fact).values(statement=AWKWARD_TEXT))
        session.commit()
        expected = therapy_detail_from_models(session, slug)
    response = make_client().get(f"/v1/therapies/{slug}")
    assert response.status_code == 200
    body = response.json()
    assert body["notes"] == AWKWARD_TEXT and body["aliases"] == [AWKWARD_TEXT]
    assert body["facts"] and all(fact["statement"] == AWKWARD_TEXT for fact in body["facts"])
    assert list(body) == list(TherapyDetail.model_fields)
    assert body == expected


def test_therapy_detail_of_unknown_slug_is_404_problem(client: TestClient) -> None:
    response = client.get("/v1/therapies/no-such-therapy")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "no-such-therapy" in response.json()["detail"]


OUTCOME_QUERIES: list[dict[str, Any]] = [
    {},
    {"therapy": "prolotherapy"},
    {"therapy": "perineural-injection-therapy", "sort": "-sample_size"},
    {"condition": "knee-osteoarthritis", "sort": "slug"},
    {"evidence_level": ["rct", "practitioner-claim"], "sort": "-evidence"},
    {"min_evidence": "cohort", "limit": 5, "offset": 3},
    {"sort": "sample_size", "limit": 7, "offset": 14},
    {"reviewed_before": "2100-01-01", "sort": "-reviewed_on"},
    {"therapy": "prolotherapy", "reviewed_before": "2100-01-01", "sort": "reviewed_on"},
]


def outcome_page_from_models(session: Session, params: dict[str, Any]) -> list[dict[str, Any]]:
    statement = outcomes_statement()
    if "therapy" in params:
        statement = statement.where(Therapy.slug == params["therapy"])
    if "condition" in params:
        statement = statement.where(Condition.slug == params["condition"])
    if "evidence_level" in params:
        statement = statement.where(col(Outcome.evidence_level).in_(params["evidence_level"]))
    if "min_evidence" in params:
        rank = EVIDENCE_RANK[EvidenceLevel(params["min_evidence"])]
        statement = statement.where(Outcome.evidence_rank <= rank)
    if "reviewed_before" in params:
        before = dt.date.fromisoformat(params["reviewed_before"])
        reviewed = col(Outcome.reviewed_on)
        statement = statement.where(reviewed.is_(None) | (reviewed < before))
    sort = params.get("sort", "evidence")
    column = {
        "evidence": col(Outcome.evidence_rank),
        "slug": col(Outcome.slug),
        "sample_size": col(Outcome.sample_size),
        "reviewed_on": col(Outcome.reviewed_on),
    }[sort.removeprefix("-")]
    primary = column.desc() if sort.startswith("-") else column.asc()
    rows = session.exec(
        statement.order_by(primary, col(Outcome.slug))
        .limit(params.get("limit", 20))
        .offset(params.get("offset", 0))
    ).all()
    return [item.model_dump(mode="json") for item in outcome_details(rows)]


def test_outcome_pages_equal_the_models_serialization(
    seeded_client: TestClient, engine: Engine
) -> None:
    for params in OUTCOME_QUERIES:
        with Session(engine) as session:
            expected = outcome_page_from_models(session, params)
            everything = {**params, "limit": 10_000, "offset": 0}
            total = len(outcome_page_from_models(session, everything))
        response = seeded_client.get("/v1/outcomes", params=params)
        assert response.status_code == 200, params
        body = response.json()
        assert body["items"] == expected, params
        assert body["total"] == total, params
        assert len(expected) > 0, params
        assert 'rel="first"' in response.headers["link"]


SEARCH_QUERIES: list[dict[str, Any]] = [
    {"q": "elbow"},
    {"q": "tennis elbow"},
    {"q": "M77.10"},
    {"q": "achilles", "sort": "-name"},
    {"q": "tendin", "limit": 2, "offset": 1},
]


def test_condition_search_items_equal_the_models_serialization(
    seeded_client: TestClient, engine: Engine
) -> None:
    for params in SEARCH_QUERIES:
        response = seeded_client.get("/v1/conditions", params=params)
        assert response.status_code == 200, params
        items = response.json()["items"]
        assert items, params
        with Session(engine) as session:
            for item in items:
                condition = get_by_slug(session, Condition, item["slug"], label="condition")
                expected = ConditionListItem.model_validate(
                    row_fields(condition, ConditionListItem) | {"match": item["match"]}
                )
                assert item == expected.model_dump(mode="json"), params
                assert list(item) == list(ConditionListItem.model_fields), params


CONDITION_THERAPY_FILTERS: list[dict[str, Any]] = [
    {},
    {"min_evidence": "rct"},
    {"min_evidence": "practitioner-claim"},
    {"injectate": "hypertonic-dextrose-local-anaesthetic"},
    {"injectate": "dextrose-5-in-water", "min_evidence": "expert-opinion"},
]


def test_condition_therapies_equal_the_models_serialization(
    seeded_client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        conditions = session.exec(select(Condition).order_by(col(Condition.slug))).all()
        listed = 0
        for condition in conditions:
            for params in CONDITION_THERAPY_FILTERS:
                expected = condition_therapies_from_models(
                    session,
                    condition,
                    min_evidence=EvidenceLevel(params["min_evidence"])
                    if "min_evidence" in params
                    else None,
                    injectate=params.get("injectate"),
                )
                response = seeded_client.get(
                    f"/v1/conditions/{condition.slug}/therapies", params={**params, "limit": 100}
                )
                assert response.status_code == 200, (condition.slug, params)
                body = response.json()
                assert body["items"] == [item.model_dump(mode="json") for item in expected]
                assert body["total"] == len(expected)
                assert body["condition"]["slug"] == condition.slug
                listed += len(expected)
    assert listed > 20  # the curated seed exercises the statement, not only empty lists


def test_condition_therapies_pages_through_the_same_order(seeded_client: TestClient) -> None:
    slug = "knee-osteoarthritis"
    whole = seeded_client.get(f"/v1/conditions/{slug}/therapies", params={"limit": 100}).json()
    assert whole["total"] >= 2
    pages = [
        seeded_client.get(f"/v1/conditions/{slug}/therapies", params={"limit": 1, "offset": offset})
        for offset in range(whole["total"])
    ]
    assert all(page.status_code == 200 for page in pages)
    assert [item for page in pages for item in page.json()["items"]] == whole["items"]
    assert 'rel="next"' in pages[0].headers["link"]


def test_condition_therapies_of_unknown_condition_is_404_problem(client: TestClient) -> None:
    response = client.get("/v1/conditions/no-such-condition/therapies")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "no-such-condition" in response.json()["detail"]


def condition_therapies_from_models(
    session: Session,
    condition: Condition,
    *,
    min_evidence: EvidenceLevel | None = None,
    injectate: str | None = None,
) -> list[ConditionTherapy]:
    """For one condition: each therapy used for it, strongest evidence first, as the ORM and
    pydantic build it (the path the JSON statement replaced; its rules in Python)."""
    indications = indications_where(session, Indication.condition_id == condition.id)
    outcomes = outcomes_where(
        session,
        (Outcome.condition_id == condition.id) | (Outcome.condition_id.is_(None)),  # type: ignore[union-attr]
    )
    therapy_slugs = {item.therapy.slug for item in indications} | {
        item.therapy.slug for item in outcomes if item.condition is not None
    }
    if not therapy_slugs:
        return []
    therapies = session.exec(
        select(Therapy).where(Therapy.slug.in_(therapy_slugs))  # type: ignore[attr-defined]
    ).all()
    ids = [therapy.id for therapy in therapies]
    uses = [
        use
        for use in injectate_uses_where(session, InjectateUse.therapy_id.in_(ids))  # type: ignore[attr-defined]
        if use.condition is None or use.condition.slug == condition.slug
    ]
    reports = side_effect_reports_where(session, SideEffectReport.therapy_id.in_(ids))  # type: ignore[attr-defined]

    results = []
    for therapy in therapies:
        own_outcomes = [item for item in outcomes if item.therapy.slug == therapy.slug]
        # Only the condition's own outcomes are evidence here; general statements about the
        # therapy are listed apart and count for nothing (not the level, not the summary).
        specific = sorted((o for o in own_outcomes if o.condition is not None), key=weighed_key)
        general = sorted((o for o in own_outcomes if o.condition is None), key=weighed_key)
        own_uses = [use for use in uses if use.therapy.slug == therapy.slug]
        if injectate is not None and not any(use.injectate.slug == injectate for use in own_uses):
            continue
        best = (
            min(specific, key=lambda o: (EVIDENCE_RANK[o.evidence_level], o.slug)).evidence_level
            if specific
            else None
        )
        if min_evidence is not None and (
            best is None or EVIDENCE_RANK[best] > EVIDENCE_RANK[min_evidence]
        ):
            continue
        results.append(
            ConditionTherapy(
                therapy=TherapySummary.model_validate(therapy, from_attributes=True),
                best_evidence_level=best,
                indications=[item for item in indications if item.therapy.slug == therapy.slug],
                injectates=own_uses,
                outcomes=specific,
                side_effects=[item for item in reports if item.therapy.slug == therapy.slug],
                general_outcomes=general,
                evidence_summary=evidence_summary_of(specific, general),
            )
        )
    results.sort(
        key=lambda item: (
            EVIDENCE_RANK[item.best_evidence_level]
            if item.best_evidence_level
            else len(EVIDENCE_RANK),
            item.therapy.name,
        )
    )
    return results


CONDITION_LIST_QUERIES: list[dict[str, Any]] = [
    {},
    {"sort": "-name"},
    {"sort": "body_region", "limit": 3, "offset": 2},
    {"body_region": "knee"},
    {"category": "tendinopathy", "sort": "slug"},
    {"code": "M7"},
    {"code": "M77.1", "sort": "-slug"},
    {"therapy": "prolotherapy", "limit": 4},
    {"therapy": "perineural-injection-therapy", "body_region": "knee"},
    {"reviewed_before": "2100-01-01", "sort": "-reviewed_on", "limit": 5},
    {"category": "tendinopathy", "reviewed_before": "2100-01-01", "sort": "reviewed_on"},
]


def code_of(code: Any) -> str:
    """A condition's code as the JSON column gives it back (a dict) or as a model."""
    return str(code["code"] if isinstance(code, dict) else code.code)


def condition_list_from_models(session: Session, params: dict[str, Any]) -> tuple[list[Any], int]:
    """A list page (no `q`) as the ORM and pydantic build it: the items and the total."""
    statement = select(Condition)
    for name in ("body_region", "category"):
        if name in params:
            statement = statement.where(getattr(Condition, name) == params[name])
    if "therapy" in params:
        used_for = (
            select(Indication.condition_id)
            .join(Therapy, col(Indication.therapy_id) == col(Therapy.id))
            .where(Therapy.slug == params["therapy"])
        )
        statement = statement.where(col(Condition.id).in_(used_for))
    if "code" in params:
        key = compact_key(params["code"])
        ids = [
            condition.id
            for condition in session.exec(select(Condition)).all()
            if any(compact_key(code_of(code)).startswith(key) for code in condition.codes)
        ]
        statement = statement.where(col(Condition.id).in_(ids))
    if "reviewed_before" in params:
        before = dt.date.fromisoformat(params["reviewed_before"])
        reviewed = col(Condition.reviewed_on)
        statement = statement.where(reviewed.is_(None) | (reviewed < before))
    total = len(session.exec(statement).all())
    sort = params.get("sort", "name")
    rows = session.exec(
        statement.order_by(*order_by(Condition, sort))
        .limit(params.get("limit", 20))
        .offset(params.get("offset", 0))
    ).all()
    items = [
        ConditionListItem.model_validate(row_fields(row, ConditionListItem)).model_dump(mode="json")
        for row in rows
    ]
    return items, total


def test_condition_list_pages_equal_the_models_serialization(
    seeded_client: TestClient, engine: Engine
) -> None:
    for params in CONDITION_LIST_QUERIES:
        with Session(engine) as session:
            expected, total = condition_list_from_models(session, params)
        response = seeded_client.get("/v1/conditions", params=params)
        assert response.status_code == 200, params
        body = response.json()
        assert body["items"] == expected, params
        assert body["total"] == total, params
        assert len(expected) > 0, params
        assert all(item["match"] is None for item in body["items"]), params
        assert body["did_you_mean"] == [] and body["facets"] == {}, params
        assert 'rel="first"' in response.headers["link"]
