"""Read shapes serialized by the database: one query returns a whole body as JSON text.

Every record read (lists, details, a condition's therapies) is answered with one SQL
statement whose single value is the response body, built by the engine's JSON functions:
no ORM objects, no pydantic pass, no Python serializer. The same statements run on both
engines; the constructs below compile to SQLite's `json_object` and string aggregation, and
PostgreSQL's `json_build_object`/`json_agg`.

Objects take their fields from the API's read models (`record(TherapySummary, table)`), in
the models' order, so a field added to a model appears here too, and values are written as
pydantic writes them: timestamps ISO 8601 in UTC ending in `Z` (microseconds only when
non-zero), booleans `true`/`false`, JSON columns (aliases, codes ...) embedded. The tests
validate every body against its model, and its re-serialization, on both engines. This module
holds the constructs only; the shapes built with them are app/reads/shapes.py and the
resource modules beside it. Why answers are written by the database:
docs/decisions/0001-sql-built-json-responses.md.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement


class _JsonObject(FunctionElement[Any]):
    inherit_cache = True


@compiles(_JsonObject, "sqlite")
def _object_sqlite(element: _JsonObject, compiler: SQLCompiler, **kw: Any) -> str:
    pairs = list(element.clauses)
    keys, values = pairs[::2], pairs[1::2]
    if not any(_as_text(value) for value in values):
        return f"json_object({compiler.process(element.clauses, **kw)})"
    # An array is a subquery's text, which json_object would take for a string: embedding it
    # as JSON means json() parsing it all again, a large share of a detail's statement
    # (docs/decisions/0001-sql-built-json-responses.md). So the object is written as text: each
    # key, then each value as json_quote writes it (as json_object would; JSON values
    # unchanged), arrays as they are.
    pieces = []
    for n, (key, value) in enumerate(zip(keys, values, strict=True)):
        name = key.name.strip("'")
        pieces.append(f"""'{"," if n else "{"}"{name}":'""")
        text = compiler.process(value, **kw)
        pieces.append(text if _as_text(value) else f"json_quote({text})")
    return "(" + " || ".join([*pieces, "'}'"]) + ")"


def _as_text(value: Any) -> bool:
    """Whether SQLite gets `value` as plain JSON text (no JSON subtype), to be embedded as it
    is: an array, or an object holding one (both written as text, above)."""
    if isinstance(value, _Array):
        return True
    return isinstance(value, _JsonObject) and any(
        _as_text(inner) for inner in list(value.clauses)[1::2]
    )


@compiles(_JsonObject, "postgresql")
def _object_postgresql(element: _JsonObject, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


class _Timestamp(FunctionElement[Any]):
    """A UTC timestamp as pydantic writes it: 2026-01-02T03:04:05.123456Z or ...05Z."""

    inherit_cache = True


@compiles(_Timestamp, "sqlite")
def _timestamp_sqlite(element: _Timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (app/models.py UTCDateTime): its one
    # space becomes the T, and a zero fraction goes (the only '.'). Two replace() calls cost
    # less than the six substr() of a CASE, which a therapy's detail repeats for every
    # timestamp it embeds (docs/decisions/0001-sql-built-json-responses.md).
    x = compiler.process(element.clauses, **kw)
    return f"(replace(replace({x}, ' ', 'T'), '.000000', '') || 'Z')"


@compiles(_Timestamp, "postgresql")
def _timestamp_postgresql(element: _Timestamp, compiler: SQLCompiler, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return (
        f"to_char({x} AT TIME ZONE 'UTC', CASE WHEN date_trunc('second', {x}) = {x} "
        """THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
    )


class _Boolean(FunctionElement[Any]):
    inherit_cache = True


@compiles(_Boolean, "sqlite")
def _boolean_sqlite(element: _Boolean, compiler: SQLCompiler, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"json(CASE WHEN {x} IS NULL THEN 'null' WHEN {x} THEN 'true' ELSE 'false' END)"


@compiles(_Boolean, "postgresql")
def _boolean_postgresql(element: _Boolean, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class _Embedded(FunctionElement[Any]):
    """JSON text (a JSON column, or a subquery's JSON value) embedded as JSON, not a string."""

    inherit_cache = True


@compiles(_Embedded, "sqlite")
def _embedded_sqlite(element: _Embedded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json({compiler.process(element.clauses, **kw)})"


@compiles(_Embedded, "postgresql")
def _embedded_postgresql(element: _Embedded, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class _AsText(FunctionElement[Any]):
    """The statement's result as text: psycopg would otherwise parse json into objects."""

    inherit_cache = True


@compiles(_AsText, "sqlite")
def _text_sqlite(element: _AsText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_AsText, "postgresql")
def _text_postgresql(element: _AsText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


class _Array(FunctionElement[Any]):
    """`item` for each row of `query`, in `order_by` order, as a JSON array."""

    inherit_cache = False  # the query is not one of its arguments, so not in a cache key

    def __init__(self, item: Any, query: Select[Any], order_by: tuple[Any, ...]):
        self.item = item
        self.query = query
        self.order_by = order_by
        super().__init__()


@compiles(_Array, "sqlite")
def _array_sqlite(element: _Array, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite before 3.44 has no ORDER BY inside an aggregate; it aggregates an ordered
    # subquery in its order (it never flattens an ORDER BY subquery into an aggregate). The
    # items arrive as JSON text: joined with commas they are the array's text, never parsed
    # (json_group_array would parse and write each item again). An object holding arrays
    # is written as text too (_object_sqlite).
    rows = (
        element.query.with_only_columns(element.item.label("item"), maintain_column_froms=True)
        .order_by(*element.order_by)
        .subquery()
    )
    aggregate = select(
        literal_column("'['")
        .op("||")(func.coalesce(func.group_concat(rows.c.item, literal_column("','")), ""))
        .op("||")(literal_column("']'"))
    ).select_from(rows)
    return compiler.process(aggregate.scalar_subquery(), **kw)


@compiles(_Array, "postgresql")
def _array_postgresql(element: _Array, compiler: SQLCompiler, **kw: Any) -> str:
    rows = (
        element.query.with_only_columns(
            element.item.label("item"),
            func.row_number().over(order_by=element.order_by).label("n"),
            maintain_column_froms=True,
        )
        .order_by(*element.order_by)
        .subquery()
    )  # (a limit applies in this order)
    aggregate = select(
        func.coalesce(
            func.json_agg(aggregate_order_by(rows.c.item, rows.c.n)),
            literal_column("'[]'::json"),
        )
    ).select_from(rows)
    return compiler.process(aggregate.scalar_subquery(), **kw)


def _kind(annotation: Any) -> str:
    """How a model field's value is written: 'timestamp', 'boolean', 'json' or 'plain'."""
    options = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    for option in options:
        if option is dt.datetime:
            return "timestamp"
        if option is bool:
            return "boolean"
        if typing.get_origin(option) in (list, dict) or option in (list, dict):
            return "json"
    return "plain"


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def record(model: type[BaseModel], table: FromClause, **nested: ColumnElement[Any]) -> Any:
    """A JSON object with `model`'s fields, in its order: columns of `table`, or `nested`."""
    pairs: list[ColumnElement[Any]] = []
    for name, field in model.model_fields.items():
        if name in nested:
            value = nested[name]
        else:
            column = table.c[name]
            value = {
                "timestamp": _Timestamp,
                "boolean": _Boolean,
                "json": _Embedded,
                "plain": lambda c: c,
            }[_kind(field.annotation)](column)
        pairs += [literal_column(f"'{name}'"), value]
    return _JsonObject(*pairs)


def boolean(value: Any) -> Any:
    """A SQL truth value (a comparison, a boolean column) written as JSON `true`/`false`."""
    return _Boolean(value)


def nullable(key: ColumnElement[Any], value: Any) -> Any:
    """`value` (a JSON object), or null where an outer join found no row (`key` is NULL)."""
    return _Embedded(case((key.is_(None), None), else_=value))


def array(item: Any, query: Select[Any], *order_by: Any) -> Any:
    """`item` for each row of `query` (its joins, filters, limit), as a JSON array in order."""
    return _Array(item, query, order_by)


def correlated(value: Any, *outer: FromClause) -> Any:
    """An `array(...)` whose rows refer to `outer`, a table of the enclosing statement (each
    of whose rows then gets its own array). Explicit, because the rows are a subquery in FROM,
    where SQLAlchemy does not correlate by itself."""
    return _Array(value.item, value.query.correlate(*outer), value.order_by)


def response_body(value: Any) -> Any:
    """The statement's JSON value as text, the response body as it will be sent."""
    return _AsText(value)


def page_of(item: Any, rows: Select[Any], key: Any, matching: Select[Any], *order: Any) -> Any:
    """One statement for a list page: `item` for each of the page's rows of `rows` (in
    `order`), as the JSON array `items`, and how many ids `matching` selects, as `total`.
    `matching` selects the ids (a column named `id`) that `key`, a column of `rows`, is
    joined to. The page's ids are chosen first (bound `limit` and `offset`), so JSON is built
    for the page's rows only, not for every match."""
    page = matching.order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
    ids = page.subquery()
    total = select(func.count()).select_from(matching.subquery()).scalar_subquery()
    return select(
        response_body(array(item, rows.join(ids, ids.c.id == key), *order)).label("items"),
        total.label("total"),
    )
