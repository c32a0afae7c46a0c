"""The search index: what is indexed for each record type, and keeping it in step.

The index (tables in app/models.py, migration 0002) holds, for every record, each text a user
might type to find it: a condition's name, synonyms, codes and code titles, a therapy's
aliases, a source's title, authors and identifiers, and the longer texts (summaries,
descriptions, findings). Words are indexed as their stems (app/search/text.py `stem`).

- `search_terms`: one row per text, with its normal form (app/search/text.py `normalize`) or,
  for codes and identifiers, its compact key, and a weight per field.
- `search_tokens`: the words of each term, keyed (type, word, rank, term) so that a bounded scan
  of one word returns its best terms first (`term_rank`: word count, field weight, length).
- `search_words` and `search_trigrams`: every indexed word, and its trigrams by word length.

Writes re-index the records they touch in their own transaction (`sync_index`, `index_record`);
an index in an older format is rebuilt whole by the next sync (`kb seed`). Querying is
app/search/query.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    Connection,
    Table,
    delete,
    func,
)
from sqlmodel import Session, SQLModel, select

from app.models import (
    SEARCH_NORM_LENGTH,
    SEARCH_WORD_LENGTH,
    Condition,
    Injectate,
    MatchField,
    Outcome,
    SearchIndexState,
    SearchTerm,
    SearchToken,
    SearchTrigram,
    SearchType,
    SearchWord,
    SideEffect,
    Source,
    Therapy,
)
from app.search.text import (
    KEY_FIELDS,
    MAX_WEIGHT,
    WEIGHTS,
    compact_key,
    normalize,
    stems_of,
    trigrams,
    words_of,
)
from app.store.engine import bulk_insert

INDEX_FORMAT = 3
"""Bump when normalization, term extraction or `term_rank` changes: the next sync rebuilds
the index. 2: postings ordered by the term's word count first (was: field weight first).
3: words indexed as stems (app/search/text.py `stem`), more stopwords, code titles indexed."""

BATCH = 500

# --------------------------------------------------------------------------------------------
# What is indexed
# --------------------------------------------------------------------------------------------


def _code_of(code: Any) -> str:
    return str(code["code"] if isinstance(code, dict) else code.code)


def _code_title_of(code: Any) -> str:
    return str(code["title"] if isinstance(code, dict) else code.title)


def _substance_of(component: Any) -> str:
    return str(component["substance"] if isinstance(component, dict) else component.substance)


def _condition_texts(row: Any) -> Iterator[tuple[MatchField, str | None]]:
    yield MatchField.name, row.name
    yield from ((MatchField.synonym, synonym) for synonym in row.synonyms)
    yield from ((MatchField.code, _code_of(code)) for code in row.codes)
    yield from ((MatchField.code_title, _code_title_of(code)) for code in row.codes)
    yield MatchField.description, row.description


def _therapy_texts(row: Any) -> Iterator[tuple[MatchField, str | None]]:
    yield MatchField.name, row.name
    yield from ((MatchField.alias, alias) for alias in row.aliases)
    yield MatchField.summary, row.summary


def _injectate_texts(row: Any) -> Iterator[tuple[MatchField, str | None]]:
    yield MatchField.name, row.name
    yield from ((MatchField.component, _substance_of(part)) for part in row.components)
    yield MatchField.description, row.description


def _side_effect_texts(row: Any) -> Iterator[tuple[MatchField, str | None]]:
    yield MatchField.name, row.name
    yield MatchField.description, row.description


def _outcome_texts(row: Any) -> Iterator[tuple[MatchField, str | None]]:
    yield MatchField.measure, row.measure
    yield MatchField.finding, row.finding


def _source_texts(row: Any) -> Iterator[tuple[MatchField, str | None]]:
    yield MatchField.record_title, row.title
    yield from ((MatchField.author, author) for author in row.authors)
    for identifier in (row.doi, row.pmid, row.trial_registration):
        yield MatchField.identifier, identifier


@dataclass(frozen=True)
class Indexed:
    """How one record type is indexed and shown."""

    table: type[SQLModel]
    title: str
    route: str
    texts: Callable[[Any], Iterator[tuple[MatchField, str | None]]]


INDEXED: dict[SearchType, Indexed] = {
    SearchType.condition: Indexed(Condition, "name", "read_condition", _condition_texts),
    SearchType.therapy: Indexed(Therapy, "name", "read_therapy", _therapy_texts),
    SearchType.injectate: Indexed(Injectate, "name", "read_injectate", _injectate_texts),
    SearchType.side_effect: Indexed(SideEffect, "name", "read_side_effect", _side_effect_texts),
    SearchType.outcome: Indexed(Outcome, "measure", "read_outcome", _outcome_texts),
    SearchType.source: Indexed(Source, "title", "read_source", _source_texts),
}
TYPE_OF_TABLE = {spec.table: record_type for record_type, spec in INDEXED.items()}

TERMS: Table = SearchTerm.__table__  # type: ignore[attr-defined]
TOKENS: Table = SearchToken.__table__  # type: ignore[attr-defined]
WORDS: Table = SearchWord.__table__  # type: ignore[attr-defined]
TRIGRAMS: Table = SearchTrigram.__table__  # type: ignore[attr-defined]


class _TermValues(NamedTuple):
    field: MatchField
    text: str
    norm: str
    weight: int
    rank: int
    words: list[str]


def term_rank(words: int, weight: int, length: int) -> int:
    """Where a term stands in each of its words' postings (`search_tokens.rank`), best first:
    fewer words, then a heavier field, then a shorter text. The order `_score` ranks the
    terms holding the query's words in (words left unmatched, then the query as a prefix,
    which the phrase scan finds, then field weight, then similarity), so that the bounded
    posting scan keeps the terms that rank best. Ordered by weight first, as in format 1, a
    common word's scan in a large knowledge base was filled by long names, and the shorter
    synonyms that rank above them never became candidates: the first page shared no hit with
    the uncapped ranking's (docs/decisions/0006-bounded-search-scans.md).
    Fits PostgreSQL's 32-bit INTEGER."""
    return min(words, 999) * 100_000 + (MAX_WEIGHT - weight) * 1000 + min(length, 999)


def term_values(record_type: SearchType, row: Any) -> list[_TermValues]:
    """The terms of one record (a table row or a Core row with the same attributes)."""
    terms: list[_TermValues] = []
    seen: set[str] = set()
    for match_field, text in INDEXED[record_type].texts(row):
        if not text:
            continue
        if match_field in KEY_FIELDS:
            full = compact_key(text)
            words = [full[:SEARCH_WORD_LENGTH]] if full else []
        else:
            full = normalize(text)
            words = stems_of(words_of(full))
        norm = full[:SEARCH_NORM_LENGTH]
        if not norm or norm in seen:
            continue
        seen.add(norm)
        weight = WEIGHTS[match_field]
        rank = term_rank(len(words), weight, len(full))
        terms.append(_TermValues(match_field, text, norm, weight, rank, words))
    return terms


# --------------------------------------------------------------------------------------------
# Keeping the index in step with the records
# --------------------------------------------------------------------------------------------

T = TypeVar("T")


def _batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delete_terms(
    connection: Connection, record_type: SearchType, record_ids: Sequence[int]
) -> None:
    for batch in _batches(record_ids):
        term_ids = select(TERMS.c.id).where(
            TERMS.c.record_type == record_type.value, TERMS.c.record_id.in_(batch)
        )
        connection.execute(delete(TOKENS).where(TOKENS.c.term_id.in_(term_ids)))
        connection.execute(
            delete(TERMS).where(
                TERMS.c.record_type == record_type.value, TERMS.c.record_id.in_(batch)
            )
        )


def _insert_terms(
    connection: Connection,
    items: Iterable[tuple[SearchType, Any]],
    known_words: set[str] | None = None,
) -> None:
    """Index records; `known_words` (a full rebuild) saves asking which words are new.

    Term ids are assigned here, after the largest in use, so that terms and their words go in
    with plain executemany (an INSERT ... RETURNING per row is much slower on SQLite;
    docs/decisions/0010-core-insert-in-seed.md); the caller holds the index lock (`_lock`),
    so no other writer picks the same ids.
    """
    next_id = connection.execute(select(func.coalesce(func.max(TERMS.c.id), 0))).scalar_one() + 1
    rows: list[tuple[Any, ...]] = []
    tokens: list[tuple[str, str, int, int]] = []
    for record_type, record in items:
        type_value = record_type.value
        for term in term_values(record_type, record):
            term_id = next_id + len(rows)
            tokens.extend((type_value, word, term.rank, term_id) for word in term.words)
            rows.append(
                (
                    term_id,
                    type_value,
                    record.id,
                    record.slug,
                    term.field.value,
                    term.text,
                    term.norm,
                    term.weight,
                )
            )
    if not rows:
        return
    bulk_insert(connection, TERMS, TERM_COLUMNS, rows)
    # in key order, so the btree grows at its edges instead of splitting pages at random
    tokens.sort()
    bulk_insert(connection, TOKENS, TOKEN_COLUMNS, tokens)
    words = sorted({word for _, word, _, _ in tokens})
    if known_words is None:
        existing: set[str] = set()
        for batch in _batches(words):
            existing.update(
                connection.execute(select(WORDS.c.word).where(WORDS.c.word.in_(batch))).scalars()
            )
    else:
        existing = known_words
    new_words = [word for word in words if word not in existing]
    if known_words is not None:
        known_words.update(new_words)
    if new_words:
        bulk_insert(connection, WORDS, ("word",), [(word,) for word in new_words])
        grams = sorted((gram, len(word), word) for word in new_words for gram in trigrams(word))
        bulk_insert(connection, TRIGRAMS, ("trigram", "length", "word"), grams)


TERM_COLUMNS = ("id", "record_type", "record_id", "slug", "field", "text", "norm", "weight")
TOKEN_COLUMNS = ("record_type", "token", "rank", "term_id")


def _lock(session: Session) -> SearchIndexState | None:
    """Take the index lock for this transaction: the state row, FOR UPDATE on PostgreSQL
    (SQLite has one writer at a time anyway). Index writers then run one after another."""
    return session.get(SearchIndexState, 1, with_for_update=True)


def _set_format(session: Session) -> None:
    state = _lock(session) or SearchIndexState(id=1)
    state.format = INDEX_FORMAT
    session.add(state)
    session.flush()


def index_is_current(session: Session) -> bool:
    state = _lock(session)
    return state is not None and state.format == INDEX_FORMAT


def table_of(record_type: SearchType) -> Table:
    return INDEXED[record_type].table.__table__  # type: ignore[attr-defined,no-any-return]


def rebuild_index(session: Session, *, batch_size: int = 10_000) -> None:
    """Index every record afresh, in the caller's transaction."""
    session.flush()
    _lock(session)
    connection = session.connection()
    first_build = connection.execute(select(TERMS.c.id).limit(1)).first() is None
    for table in (TOKENS, TERMS, TRIGRAMS, WORDS):
        connection.execute(delete(table))
    # On a first build, secondary indexes are made in one sorted pass at the end: faster than
    # maintaining them through every insert of the build (DDL is transactional on both
    # engines; docs/decisions/0010-core-insert-in-seed.md). A live index keeps them, since
    # DROP INDEX would block PostgreSQL's readers until commit.
    secondary = sorted(TERMS.indexes | TOKENS.indexes, key=lambda index: str(index.name))
    for index in secondary if first_build else []:
        index.drop(connection)
    known_words: set[str] = set()
    for record_type in INDEXED:
        table = table_of(record_type)
        last_id = 0
        while True:
            rows = connection.execute(
                table.select().where(table.c.id > last_id).order_by(table.c.id).limit(batch_size)
            ).all()
            if not rows:
                break
            _insert_terms(connection, ((record_type, row) for row in rows), known_words)
            last_id = rows[-1].id
    for index in secondary if first_build else []:
        index.create(connection)
    _set_format(session)


def sync_index(
    session: Session,
    *,
    changed: Mapping[SearchType, Iterable[int]],
    removed: Mapping[SearchType, Iterable[int]],
) -> None:
    """Re-index the records added or changed and drop those removed (by id), in the caller's
    transaction; rebuild everything instead when the index is not in the current format."""
    if not index_is_current(session):
        rebuild_index(session)
        return
    session.flush()
    connection = session.connection()
    for record_type, record_ids in removed.items():
        _delete_terms(connection, record_type, sorted(record_ids))
    for record_type, record_ids in changed.items():
        ids = sorted(record_ids)
        _delete_terms(connection, record_type, ids)
        table = table_of(record_type)
        for batch in _batches(ids):
            rows = connection.execute(table.select().where(table.c.id.in_(batch))).all()
            _insert_terms(connection, ((record_type, row) for row in rows))


def _record_key(record: SQLModel) -> tuple[SearchType, int]:
    record_id = getattr(record, "id", None)
    if not isinstance(record_id, int):
        raise ValueError("flush the record before indexing it: it has no id yet")
    return TYPE_OF_TABLE[type(record)], record_id


def index_record(session: Session, record: SQLModel) -> None:
    """(Re-)index one record after it was added or changed, in the caller's transaction."""
    record_type, record_id = _record_key(record)
    sync_index(session, changed={record_type: [record_id]}, removed={})


def unindex_record(session: Session, record: SQLModel) -> None:
    """Drop one record from the index, in the transaction that deletes it."""
    record_type, record_id = _record_key(record)
    sync_index(session, changed={}, removed={record_type: [record_id]})
