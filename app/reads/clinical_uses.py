"""Indications and side-effect reports across every therapy: a page of each (by therapy, and by
condition or side effect), in the shapes a therapy's detail lists them; and conditions by
their codes. The FHIR view reads them (app/fhir/: ClinicalUseDefinition)."""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import Connection, Select, String, Table, bindparam, cast, select

from app.reads.pages import PageBody, read_page
from app.reads.shapes import (
    CONDITION_SOURCES,
    CONDITIONS,
    INDICATIONS,
    INDICATIONS_SHAPE,
    SIDE_EFFECT_REPORTS,
    SIDE_EFFECT_REPORTS_SHAPE,
    SIDE_EFFECTS,
    SOURCES,
    THERAPIES,
    Shape,
)
from app.reads.sql_json import page_of
from app.store.engine import Prepared

_LINKS: dict[str, tuple[Table, Shape, str, Table]] = {
    "indication": (INDICATIONS, INDICATIONS_SHAPE, "condition", CONDITIONS),
    "side-effect report": (
        SIDE_EFFECT_REPORTS,
        SIDE_EFFECT_REPORTS_SHAPE,
        "side_effect",
        SIDE_EFFECTS,
    ),
}


@functools.lru_cache(maxsize=64)
def _page_statement(label: str, filters: frozenset[str]) -> Prepared:
    """Links of one kind, by id. Filters: `therapy` (a slug); `id` (the link's id); `other_0`,
    `other_1` ... (slugs of the condition or side effect: any of them)."""
    table, shape, other_field, other = _LINKS[label]
    query: Select[Any] = select(table.c.id)
    if "therapy" in filters:
        therapy = select(THERAPIES.c.id).where(THERAPIES.c.slug == bindparam("therapy"))
        query = query.where(table.c.therapy_id.in_(therapy.scalar_subquery()))
    if "id" in filters:
        query = query.where(table.c.id == bindparam("id"))
    others = sorted(name for name in filters if name.startswith("other_"))
    if others:
        wanted = select(other.c.id).where(other.c.slug.in_([bindparam(n) for n in others]))
        query = query.where(table.c[f"{other_field}_id"].in_(wanted.scalar_subquery()))
    return Prepared(page_of(shape.item, shape.rows, table.c.id, query, table.c.id))


def link_page(
    connection: Connection, label: str, filters: dict[str, Any], limit: int, offset: int
) -> PageBody:
    """The page of indications or side-effect reports (`label`) matching `filters`, by id:
    IndicationPublic or SideEffectReportPublic items."""
    statement = _page_statement(label, frozenset(filters))
    return read_page(statement, connection, filters, limit, offset)


def condition_codes(connection: Connection, slugs: list[str]) -> dict[str, list[dict[str, str]]]:
    """The codes (ConditionCode: system, code, title) of each condition named, by slug."""
    if not slugs:
        return {}
    rows = connection.execute(
        select(CONDITIONS.c.slug, CONDITIONS.c.codes).where(CONDITIONS.c.slug.in_(slugs))
    )
    return {slug: _json(codes) for slug, codes in rows}


def conditions_coded(connection: Connection, system: str, code: str) -> list[str]:
    """The slugs of the conditions that carry `code` of `system` (e.g. ICD-10-CM M76.60). The
    codes are a JSON column: the text match narrows the rows, Python checks each exactly."""
    rows = connection.execute(
        select(CONDITIONS.c.slug, CONDITIONS.c.codes)
        .where(cast(CONDITIONS.c.codes, String).contains(json.dumps(code)))
        .order_by(CONDITIONS.c.slug)
    )
    return [
        slug
        for slug, codes in rows
        if any(c["system"] == system and c["code"] == code for c in _json(codes))
    ]


MESH_RECORD = "https://meshb.nlm.nih.gov/record/ui?ui="
"""How a MeSH descriptor source's address starts: one source per heading, of kind `code-set`,
cited by the condition whose heading it is (data/CONTENT_NOTES.md)."""


def _cited_mesh() -> Select[Any]:
    return (
        select(CONDITIONS.c.slug, SOURCES.c.url, SOURCES.c.title)
        .join(CONDITION_SOURCES, CONDITION_SOURCES.c.condition_id == CONDITIONS.c.id)
        .join(SOURCES, SOURCES.c.id == CONDITION_SOURCES.c.source_id)
        .where(SOURCES.c.kind == "code-set", SOURCES.c.url.startswith(MESH_RECORD))
        .order_by(CONDITIONS.c.slug, SOURCES.c.url)
    )


def mesh_descriptors(connection: Connection, slugs: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The MeSH descriptor sources each condition named cites: (address, title), by slug."""
    found: dict[str, list[tuple[str, str]]] = {}
    if slugs:
        for slug, url, title in connection.execute(
            _cited_mesh().where(CONDITIONS.c.slug.in_(slugs))
        ):
            found.setdefault(slug, []).append((url, title))
    return found


def conditions_citing_mesh(connection: Connection, descriptor: str) -> list[str]:
    """The slugs of the conditions that cite the MeSH descriptor `descriptor` (e.g. D020370)."""
    rows = connection.execute(_cited_mesh().where(SOURCES.c.url == MESH_RECORD + descriptor))
    return [slug for slug, _, _ in rows]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
