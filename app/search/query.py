"""Querying the search index: one portable path that gives the same top hits on SQLite and
on PostgreSQL. The index itself, and its upkeep, is app/search/index.py.

A query reads only index ranges, each with equality or `>=`/`<` predicates and a LIMIT:

1. the whole query as a prefix of a term's normal form (`norm >= q AND norm < q⁺`, a btree
   range on both engines, unlike LIKE), and for code-like input its compact key;
2. each query word expands to the indexed words it is a prefix of ("epicond"); a word with
   none expands, through trigrams, to words within one or two edits ("achilis"), checked with
   rapidfuzz's optimal-string-alignment distance;
3. the terms that hold every query word: the rarest word's postings, best rank first, each
   probed for the other words (EXISTS on the term's words).

The bounded candidate set is ranked here in Python, so both engines rank identically: exact
match first, then fewer typos, fewer words matched only as a prefix, fewer words of the term
left unmatched, the query as the term's prefix, field weight, similarity (rapidfuzz ratio),
record type and slug. Each record is ranked by its best term, which the hit reports. No query
scans a table, whatever its size. Why the scans are bounded as they are:
docs/decisions/0006-bounded-search-scans.md.

Words are compared as stems (app/search/text.py `stem`), so word forms and word order do not
matter. When no record holds every word, a second pass ranks the records by how many words
they hold (partial matches). A partial match is a hit only when the words it misses cannot
name another condition: they are all qualifiers (`left`, `chronic`, `pain` ...), or the words
it holds make up one of its names whole (`tennis elbow` in `tennis elbow xyz`). The others are
`related`: they share words, they are not what was asked for (`golfers elbow` shares `elbow`
with tennis elbow, and is not it). `did_you_mean` is only ever `q` with its misspelt words
corrected, never another record's name.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    exists,
    func,
    literal,
    union_all,
)
from sqlmodel import col, select

from app.models import (
    SEARCH_NORM_LENGTH,
    SEARCH_WORD_LENGTH,
    Condition,
    MatchField,
    SearchTerm,
    SearchType,
)
from app.search.index import INDEXED, TERMS, TOKENS, TRIGRAMS, WORDS, table_of
from app.search.text import (
    CODE_LIKE,
    FIELD_ORDER,
    KEY_FIELDS,
    MAX_WEIGHT,
    QUALIFIER_STEMS,
    TYPE_ORDER,
    WORD_SPAN,
    compact_key,
    max_typos,
    normalize,
    split_term,
    stem,
    successor,
    trigrams,
    whole_norm,
    words_of,
)
from app.store.engine import Prepared

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 10
PHRASE_LIMIT = 50
"""Terms per record type taken from the whole-query prefix range."""
POSTING_LIMIT = 100
"""Terms per record type taken from the word postings. With the postings in the order hits
rank in (`term_rank`), bounds this small keep a search's first hits as an unbounded search
ranks them, while a common word's scan, and so a search of a large knowledge base, stays
cheap. The price: a common word yields about PHRASE_LIMIT + POSTING_LIMIT hits per type at
most, not every record holding it (docs/decisions/0006-bounded-search-scans.md)."""
EXPANSION_LIMIT = 20
"""Indexed words a typed prefix expands to."""
FUZZY_LIMIT = 50
"""Words the trigram filter hands to the edit-distance check."""
DRIVER_COUNT_CAP = 2000
RELATED_LIMIT = 5
SNIPPET_LENGTH = 160


def code_range(code: str) -> dict[str, str]:
    """The bound values of `code_filter` for `code`: `code_low`, and `code_high` unless the
    range has no upper end."""
    key = compact_key(code)
    upper = successor(key)
    return {"code_low": key} if upper is None else {"code_low": key, "code_high": upper}


def code_filter(bounded: bool) -> ColumnElement[bool]:
    """Conditions carrying a code in `code_range(code)`, that is `code` or a code below it:
    M77.1 matches M77.10, M77.11 ... (`bounded`: the range has an upper end)."""
    norm = col(SearchTerm.norm)
    upper = [norm < bindparam("code_high")] if bounded else []
    return col(Condition.id).in_(
        select(SearchTerm.record_id).where(
            SearchTerm.record_type == SearchType.condition,
            SearchTerm.field == MatchField.code,
            norm >= bindparam("code_low"),
            *upper,
        )
    )


# --------------------------------------------------------------------------------------------
# Querying
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    norm: str
    words: tuple[str, ...]
    """The stems of the query's words (app/search/text.py `stem`), each once, in order."""
    key: str | None = None
    """The compact key, when the input looks like a code or identifier (M77.1, a PMID ...)."""
    typed: tuple[str, ...] = ()
    """Each of `words` as typed (normalized), for `match` and corrections."""


def parse_query(raw: str) -> ParsedQuery:
    norm = normalize(raw)[:SEARCH_NORM_LENGTH]
    forms: dict[str, str] = {}
    for word in words_of(norm):
        forms.setdefault(stem(word), word)
        if len(forms) == MAX_QUERY_WORDS:
            break
    stripped = raw.strip()
    looks_like_code = bool(stripped) and not any(char.isspace() for char in stripped)
    key = compact_key(stripped) if looks_like_code and CODE_LIKE.match(stripped) else None
    return ParsedQuery(norm, tuple(forms), key or None, tuple(forms.values()))


Expansions = dict[str, dict[str, int]]
"""query word -> {indexed word: typos}"""


_PREFIXED_WORDS = Prepared(
    select(WORDS.c.word)
    .where(WORDS.c.word >= bindparam("low"), WORDS.c.word < bindparam("high"))
    .order_by(WORDS.c.word)
    .limit(EXPANSION_LIMIT)
)
_WORDS_FROM = Prepared(
    select(WORDS.c.word)
    .where(WORDS.c.word >= bindparam("low"))
    .order_by(WORDS.c.word)
    .limit(EXPANSION_LIMIT)
)
_SHARED = func.count()


@functools.lru_cache(maxsize=64)
def _near_words(grams: int) -> Prepared:
    """Indexed words sharing at least `shared` of a word's `grams` trigrams (bound `g0` ...),
    of a length from `shortest` to `longest`, most shared first."""
    return Prepared(
        select(TRIGRAMS.c.word)
        .where(
            TRIGRAMS.c.trigram.in_([bindparam(f"g{number}") for number in range(grams)]),
            TRIGRAMS.c.length.between(bindparam("shortest"), bindparam("longest")),
        )
        .group_by(TRIGRAMS.c.word)
        .having(_SHARED >= bindparam("shared"))
        .order_by(_SHARED.desc(), TRIGRAMS.c.word)
        .limit(FUZZY_LIMIT)
    )


def _expand(connection: Connection, word: str, typed: str, *, relaxed: bool) -> dict[str, int]:
    """The indexed stems `word` (a query word's stem) stands for: those it is a prefix of or,
    when there are none, those within the typos its typed form `typed` allows."""
    upper = successor(word)
    prefixed = (
        _WORDS_FROM.all(connection, low=word)
        if upper is None
        else _PREFIXED_WORDS.all(connection, low=word, high=upper)
    )
    found = {prefix: 0 for (prefix,) in prefixed}
    if found:
        return found
    # relaxed (a correction for a query that matched nothing): one typo in three letters too
    allowed = max_typos(typed) or (1 if relaxed and len(typed) == 3 else 0)
    if allowed == 0 or len(word) < 3:
        return found
    grams = trigrams(word)
    near = _near_words(len(grams)).all(
        connection,
        **{f"g{number}": gram for number, gram in enumerate(grams)},
        shortest=len(word) - allowed,
        longest=len(word) + allowed,
        shared=max(1, len(grams) - 3 * allowed),
    )
    for (candidate,) in near:
        distance = OSA.distance(word, candidate, score_cutoff=allowed)
        if distance <= allowed:
            found[candidate] = distance
    # two letters swapped share few trigrams with the word meant ("pian", "wirst"): look the
    # swaps up as they are
    swaps = sorted(
        {word[:k] + word[k + 1] + word[k] + word[k + 2 :] for k in range(len(word) - 1)} - {word}
    )
    if swaps:
        listed = _listed_words(len(swaps)).all(
            connection, **{f"s{number}": swap for number, swap in enumerate(swaps)}
        )
        found.update({candidate: 1 for (candidate,) in listed if candidate not in found})
    return found


@functools.lru_cache(maxsize=64)
def _listed_words(count: int) -> Prepared:
    """Which of `count` words (bound `s0` ...) are indexed: primary-key lookups."""
    return Prepared(
        select(WORDS.c.word).where(WORDS.c.word.in_([bindparam(f"s{n}") for n in range(count)]))
    )


_CANDIDATE_COLUMNS = ("record_type", "record_id", "slug", "field", "text", "norm", "weight")
_Term = tuple[str, int, str, str, str, str, int]
"""A candidate term: its `_CANDIDATE_COLUMNS`, as the driver returns them (a plain tuple, the
type and field as text; a StrEnum member hashes and compares as its value). A search reads
as many per type as its bounded scans allow (docs/decisions/0006-bounded-search-scans.md):
naming each row, or making enum members of its values, cost more than scoring it
(docs/decisions/0005-portable-search-index.md). Only hits become `Hit`s, with enum members."""


_TYPES = {record_type.value: record_type for record_type in SearchType}
_FIELDS = {match_field.value: match_field for match_field in MatchField}

_MATCHED_SPAN = 16
_TYPOS_SPAN = 64
_PARTIAL_SPAN = 16
_UNMATCHED_SPAN = 2**32
_WEIGHT_SPAN = 16
assert MAX_QUERY_WORDS < _MATCHED_SPAN and 3 * MAX_QUERY_WORDS < _TYPOS_SPAN
assert MAX_QUERY_WORDS < _PARTIAL_SPAN and MAX_WEIGHT < _WEIGHT_SPAN


def leading_key(
    exact: bool, matched: int, typos: int, partial: int, unmatched: int, prefix: bool, weight: int
) -> int:
    """The leading part of a hit's sort key, (not exact, -matched, typos, partial, unmatched,
    not prefix, -weight), as one integer that orders as that tuple does: each part has a
    field wide enough for any value it takes (at most MAX_QUERY_WORDS words, each with at
    most 3 typos; a term of fewer than 2**32 words; a weight from WEIGHTS). Comparing two
    keys is then one integer comparison where the tuple took up to seven."""
    key = (not exact) * _MATCHED_SPAN + MAX_QUERY_WORDS - matched
    key = (key * _TYPOS_SPAN + typos) * _PARTIAL_SPAN + partial
    key = ((key * _UNMATCHED_SPAN + unmatched) * 2 + (not prefix)) * _WEIGHT_SPAN
    return key + MAX_WEIGHT - weight


_Part = tuple[Any, ...]
"""One bounded scan for candidate terms, by the names of its parameters:
("phrase", type, prefix number, bounded above) or ("posting", type, driver word list number,
numbers of the other word lists). A query's parts, with the length of each word list, make
the shape of its statement."""


def _any_word(column: Any, number: int, sizes: Sequence[int]) -> Any:
    """`column` is one of the words of list `number`: bound as `w{number}_0`, `w{number}_1` ...
    (one parameter each, so that a statement's text is fixed by its shape)."""
    return column.in_([bindparam(f"w{number}_{index}") for index in range(sizes[number])])


def _word_params(expanded: Sequence[Sequence[str]]) -> dict[str, str]:
    return {
        f"w{number}_{index}": word
        for number, words in enumerate(expanded)
        for index, word in enumerate(words)
    }


def _phrase_ids(record_type: SearchType, prefix: int, bounded: bool) -> Any:
    """Terms whose normal form starts with prefix `low{prefix}` (below `high{prefix}` when
    `bounded`), nearest first: a bounded range scan."""
    norm = TERMS.c.norm
    upper = [norm < bindparam(f"high{prefix}")] if bounded else []
    return (
        select(TERMS.c.id.label("term_id"))
        .where(TERMS.c.record_type == record_type.value, norm >= bindparam(f"low{prefix}"), *upper)
        .order_by(norm, TERMS.c.id)
        .limit(PHRASE_LIMIT)
    )


def _posting_ids(
    sizes: Sequence[int], record_type: SearchType, driver: int, others: Sequence[int] = ()
) -> Any:
    """Terms of `record_type` holding a word of list `driver` and a word of each of the
    `others` lists, best rank first: the driver's postings in key order, each probed for the
    other words."""
    statement: Any = select(TOKENS.c.term_id).where(
        TOKENS.c.record_type == record_type.value, _any_word(TOKENS.c.token, driver, sizes)
    )
    for other in others:
        probe = TOKENS.alias()
        statement = statement.where(
            exists().where(
                probe.c.term_id == TOKENS.c.term_id, _any_word(probe.c.token, other, sizes)
            )
        )
    return statement.order_by(TOKENS.c.rank, TOKENS.c.term_id).limit(POSTING_LIMIT)


@functools.lru_cache(maxsize=1024)
def _terms_statement(parts: tuple[_Part, ...], sizes: tuple[int, ...]) -> Prepared:
    """The candidate terms of every part, read in one statement. Built once per shape: a
    statement of this size costs more to build than SQLite takes to run it
    (docs/decisions/0013-prepared-statements.md)."""
    scans = [
        _phrase_ids(*part[1:]) if part[0] == "phrase" else _posting_ids(sizes, *part[1:])
        for part in parts
    ]
    found = union_all(*(select(scan.subquery()) for scan in scans))
    columns = (TERMS.c[name] for name in _CANDIDATE_COLUMNS)
    return Prepared(select(*columns).where(TERMS.c.id.in_(found)))


@functools.lru_cache(maxsize=256)
def _posting_counts(types: tuple[SearchType, ...], sizes: tuple[int, ...]) -> Prepared:
    """(position, how many terms hold a word of list `k`, counted up to DRIVER_COUNT_CAP)
    for each type and list, position = type number * lists + k."""
    counts = []
    for position, (record_type, words) in enumerate(
        (record_type, words) for record_type in types for words in range(len(sizes))
    ):
        bounded = (
            select(literal(1))
            .where(
                TOKENS.c.record_type == record_type.value,
                _any_word(TOKENS.c.token, words, sizes),
            )
            .limit(DRIVER_COUNT_CAP)
            .subquery()
        )
        counts.append(
            select(literal(position).label("position"), func.count().label("count")).select_from(
                bounded
            )
        )
    return Prepared(union_all(*(select(count.subquery()) for count in counts)))


def _candidate_terms(
    connection: Connection,
    query: ParsedQuery,
    types: Sequence[SearchType],
    expansions: Expansions,
    *,
    relaxed: bool,
) -> list[_Term]:
    """The candidate terms: each scan is bounded by its LIMIT, so they are at most a few
    hundred per type, whatever the size of the index."""
    expanded = [list(expansions[word]) for word in query.words if expansions[word]]
    sizes = tuple(len(words) for words in expanded)
    params: dict[str, Any] = _word_params(expanded)
    parts: list[_Part] = []
    if relaxed:
        parts = [("posting", t, number) for t in types for number in range(len(expanded))]
    else:
        prefixes = list(dict.fromkeys(prefix for prefix in (query.norm, query.key) if prefix))
        for number, prefix in enumerate(prefixes):
            params[f"low{number}"] = prefix
            upper = params[f"high{number}"] = successor(prefix)
            parts += [("phrase", t, number, upper is not None) for t in types]
        if expanded and len(expanded) == len(query.words):
            drivers = [0] * len(types)
            if len(expanded) > 1:
                # the rarest word of each type drives the posting scan
                counts = dict(_posting_counts(tuple(types), sizes).all(connection, **params))
                for position in range(len(types)):
                    own = [counts[position * len(expanded) + k] for k in range(len(expanded))]
                    drivers[position] = own.index(min(own))
            lists = range(len(expanded))
            parts += [
                ("posting", t, driver, tuple(k for k in lists if k != driver))
                for t, driver in zip(types, drivers, strict=True)
            ]
    if not parts:
        return []
    rows: list[Any] = _terms_statement(tuple(parts), sizes).all(connection, **params)
    return rows


class _Scored(NamedTuple):
    key: tuple[Any, ...]
    """(`leading_key`, -similarity, type, slug, field, text): see `_score`."""
    term: _Term
    typos: int
    matched: int
    missing: tuple[int, ...] = ()
    """The positions of the query words the term does not hold (a partial match)."""
    covered: bool = False
    """Every word of the term is matched: the query holds one of the record's names whole."""


def _word_match(
    word: str, candidates: Sequence[str], fuzzy: Mapping[str, int]
) -> tuple[int, bool, str] | None:
    """The best term word for a query word, as (typos, partial, word): the same word, then a
    word it is a prefix of ("epicond"), then the fewest typos. (`_score` looks the same word
    up in the term's set of words first.)"""
    best: tuple[int, bool, str] | None = None
    for candidate in candidates:
        if candidate == word:
            return 0, False, candidate
        if candidate.startswith(word):
            best = min(best, (0, True, candidate)) if best else (0, True, candidate)
            continue
        typos = fuzzy.get(candidate)
        if typos is not None and (best is None or (typos, False) < best[:2]):
            best = typos, False, candidate
    return best


def _score(
    query: ParsedQuery,
    term: _Term,
    wanted: Sequence[tuple[str, Mapping[str, int]]],
    every: frozenset[str],
    *,
    relaxed: bool,
) -> _Scored | None:
    """How well `term` answers `query` (`wanted`: each query word with its expansions;
    `every`: the query's words as a set), or None when it does not. Runs for every candidate
    term: written for speed."""
    record_type, _, slug, match_field, text, norm, weight = term
    is_key = match_field in KEY_FIELDS
    # a stored normal form shorter than the column's limit is the whole normal form
    full = norm if is_key or len(norm) < SEARCH_NORM_LENGTH else whole_norm(text)
    if is_key:
        term_words: tuple[str, ...] = (full[:SEARCH_WORD_LENGTH],)
        present = frozenset(term_words)
        query_key = query.key
        key_exact = query_key is not None and full == query_key
        key_prefix = query_key is not None and full.startswith(query_key)
    else:
        term_words, present = split_term(full)
        key_exact = key_prefix = False
    exact = key_exact or full == query.norm
    prefix = key_prefix or full.startswith(query.norm)
    typos = matched = partial = 0
    missing: list[int] = []
    if every <= present:
        # the common case: the term holds every query word as it is (what the loop below
        # finds word by word, in one set comparison)
        matched = len(every)
        unmatched = len(term_words) - matched
    else:
        used: set[str] = set()
        for position, (word, fuzzy) in enumerate(wanted):
            found = (0, False, word) if word in present else _word_match(word, term_words, fuzzy)
            if found is None:
                if prefix or relaxed:
                    missing.append(position)
                    continue
                return None
            typos += found[0]
            partial += found[1]
            matched += 1
            used.add(found[2])
        unmatched = len(term_words) - len(used)
    if key_prefix:
        matched, unmatched = len(wanted), len(term_words) - len(present)
        missing = []
    elif prefix:
        matched = len(wanted)
        missing = []
    if matched == 0 and not prefix:
        return None
    target = query.key if key_prefix and query.key else query.norm
    if missing:
        # a partial match: how close the term is to the words it matched
        target = " ".join(word for k, word in enumerate(query.typed) if k not in missing)
    similarity = fuzz.ratio(target, full)
    key = (
        leading_key(exact, matched, typos, partial, unmatched, prefix, weight),
        -similarity,
        TYPE_ORDER[record_type],
        slug,
        FIELD_ORDER[match_field],
        text,
    )
    return _Scored(key, term, typos, matched, tuple(missing), unmatched == 0)


class Hit(NamedTuple):
    """A matching record and the term of it that matched best (a named tuple: a search of a
    large knowledge base makes as many a type as its bounded scans allow,
    docs/decisions/0006-bounded-search-scans.md)."""

    record_type: SearchType
    record_id: int
    slug: str
    field: MatchField
    text: str
    typos: int
    matched_words: tuple[str, ...] = ()
    """The query's words (as typed) that the text matched."""
    unmatched_words: tuple[str, ...] = ()
    """The query's words it did not match: some, in a partial match; none in a full one."""

    def match(self) -> dict[str, Any]:
        """The item's `match` (app/models.py `SearchMatch`), as plain JSON values."""
        return {
            "field": self.field.value,
            "text": self.text,
            "matched_words": list(self.matched_words),
            "unmatched_words": list(self.unmatched_words),
        }


class Related(NamedTuple):
    """A record that shares some of the query's words and is not a hit."""

    record_type: SearchType
    record_id: int
    slug: str
    shared_words: tuple[str, ...]

    def why(self) -> str:
        shared = ", ".join(f"'{word}'" for word in self.shared_words)
        return (
            f"It shares {shared} with the query, but the query's other words do not name it: "
            "a different record, not a correction."
        )


@dataclass(frozen=True)
class SearchResult:
    query: ParsedQuery
    hits: list[Hit] = field(default_factory=list)
    did_you_mean: list[str] = field(default_factory=list)
    expansions: Expansions = field(default_factory=dict)
    related: list[Related] = field(default_factory=list)
    partial: bool = False
    """The hits match some of the query's words only (no record matched them all)."""

    def snippet(self, hit: Hit) -> str:
        """The matched text, shortened around the first match, with matches in <mark>."""
        return snippet(hit.text, hit.field, self.query, self.expansions)

    def message(self, noun: str) -> str | None:
        """What the answer is, in a sentence (`noun`: "condition" or "record"); None when
        every hit matches every word, or for an empty query."""
        typed = self.query.norm
        if not typed or (self.hits and not self.partial):
            return None
        if self.hits:
            return (
                f"No {noun} matches every word of '{typed}'. These match some of its words: "
                "each item's `match` lists the words it matched and those it did not."
            )
        message = f"No {noun} in the knowledge base matches '{typed}'."
        if self.did_you_mean:
            message += f" Did you mean '{self.did_you_mean[0]}'?"
        if self.related:
            message += (
                f" The related {noun}s share some of its words; they are other {noun}s, "
                "not what was asked for."
            )
        return message


def qualifier_positions(query: ParsedQuery, expansions: Expansions) -> frozenset[int]:
    """The positions of the query's qualifiers (app/search/text.py `QUALIFIERS`): words that
    are one, or a typo away from one ("pian")."""
    return frozenset(
        position
        for position, word in enumerate(query.words)
        if word in QUALIFIER_STEMS
        or any(typos and found in QUALIFIER_STEMS for found, typos in expansions[word].items())
    )


def _accepted(query: ParsedQuery, scored: _Scored, qualifiers: frozenset[int]) -> bool:
    """Whether a partial match is a hit: the words it misses are all qualifiers, or the words
    it holds are one of its names whole; and it holds a word that is not a qualifier."""
    if not scored.missing:
        return True
    held = set(range(len(query.words))).difference(scored.missing)
    if held <= qualifiers:
        return False
    return scored.covered or qualifiers.issuperset(scored.missing)


def _rank(
    connection: Connection,
    query: ParsedQuery,
    types: Sequence[SearchType],
    expansions: Expansions,
    *,
    relaxed: bool,
    qualifiers: frozenset[int] = frozenset(),
) -> list[_Scored]:
    """The best-scoring term of each matching record, best record first. `relaxed`: terms
    holding only some of the words count too, and a term that makes its record a hit
    (`_accepted`, given the positions of the query's `qualifiers`) wins over one that holds
    more words without doing so."""
    wanted = [(word, expansions.get(word, {})) for word in query.words]
    every = frozenset(query.words)
    best: dict[tuple[str, int], tuple[bool, _Scored]] = {}
    for term in _candidate_terms(connection, query, types, expansions, relaxed=relaxed):
        scored = _score(query, term, wanted, every, relaxed=relaxed)
        if scored is not None:
            record = (term[0], term[1])
            rejected = relaxed and not _accepted(query, scored, qualifiers)
            kept = best.get(record)
            if kept is None or (rejected, scored.key) < (kept[0], kept[1].key):
                best[record] = (rejected, scored)
    return [scored for _, scored in sorted(best.values(), key=_by_rejection_and_key)]


def _by_rejection_and_key(item: tuple[bool, _Scored]) -> tuple[Any, ...]:
    return item[0], item[1].key


def _correction(query: ParsedQuery, scored: _Scored, expansions: Expansions) -> str | None:
    """`q` as typed, with each word that the term matched only through typos replaced by the
    term's word (None when no word needed a correction)."""
    _, _, _, match_field, text, norm, _ = scored.term
    if match_field in KEY_FIELDS:
        return None
    full = norm if len(norm) < SEARCH_NORM_LENGTH else whole_norm(text)
    surface: dict[str, str] = {}
    for word in words_of(full):
        surface.setdefault(stem(word), word)
    term_words = tuple(surface)
    corrected = list(query.typed)
    changed = False
    for position, word in enumerate(query.words):
        if word in surface:
            continue
        found = _word_match(word, term_words, expansions.get(word, {}))
        if found is not None and found[0] > 0:
            corrected[position] = surface[found[2]]
            changed = True
    return " ".join(corrected) if changed else None


def _hits(query: ParsedQuery, ranked: Iterable[_Scored]) -> list[Hit]:
    every = query.typed
    hits = []
    for scored in ranked:
        record_type, record_id, slug, match_field, text, _, _ = scored.term
        matched: tuple[str, ...] = every
        unmatched: tuple[str, ...] = ()
        if scored.missing:
            matched = tuple(w for k, w in enumerate(every) if k not in scored.missing)
            unmatched = tuple(every[k] for k in scored.missing)
        hit_type, hit_field = _TYPES[record_type], _FIELDS[match_field]
        hits.append(
            Hit(hit_type, record_id, slug, hit_field, text, scored.typos, matched, unmatched)
        )
    return hits


def search(connection: Connection, raw: str, *, types: Sequence[SearchType]) -> SearchResult:
    """Every record of `types` matching `raw`, best first; when none matches every word, the
    partial matches that are hits (`_accepted`), and the others as `related`; a spelling
    correction when the best match needed one. Work is bounded per type, so `hits` holds at
    most a few hundred."""
    query = parse_query(raw)
    if not query.norm:
        return SearchResult(query)
    expansions = {
        word: _expand(connection, word, typed, relaxed=False)
        for word, typed in zip(query.words, query.typed, strict=True)
    }
    ranked = _rank(connection, query, types, expansions, relaxed=False)
    if ranked or not query.words:
        first = ranked[0] if ranked and ranked[0].typos else None
        corrected = _correction(query, first, expansions) if first else None
        fixes = [corrected] if corrected else []
        return SearchResult(query, _hits(query, ranked), fixes, expansions)
    qualifiers = qualifier_positions(query, expansions)
    nearby = _rank(connection, query, types, expansions, relaxed=True, qualifiers=qualifiers)
    accepted = [scored for scored in nearby if _accepted(query, scored, qualifiers)]
    related = [
        Related(
            _TYPES[scored.term[0]],
            scored.term[1],
            scored.term[2],
            tuple(w for k, w in enumerate(query.typed) if k not in scored.missing),
        )
        for scored in nearby[len(accepted) :]
        # a record that shares only a side or a symptom ("left", "pain") is not related
        if not qualifiers.issuperset(set(range(len(query.words))).difference(scored.missing))
    ][:RELATED_LIMIT]
    if accepted:
        corrected = _correction(query, accepted[0], expansions) if accepted[0].typos else None
        hits = _hits(query, accepted)
        return SearchResult(
            query, hits, [corrected] if corrected else [], expansions, related, partial=True
        )
    # nothing matched: a correction still, when a 3-letter word that found nothing finds
    # every word with one typo ("nek pain" -> "neck pain")
    loose = {
        word: _expand(connection, word, typed, relaxed=True) if len(typed) == 3 else found
        for (word, found), typed in zip(expansions.items(), query.typed, strict=True)
    }
    if loose == expansions:
        return SearchResult(query, [], [], expansions, related)
    corrections: list[str] = []
    for scored in _rank(connection, query, types, loose, relaxed=True):
        if scored.missing or not scored.typos:
            continue
        corrected = _correction(query, scored, loose)
        if corrected:
            corrections.append(corrected)
        break
    return SearchResult(query, [], corrections, expansions, related)


def record_titles(
    connection: Connection, hits: Iterable[Hit | Related]
) -> dict[tuple[SearchType, int], str]:
    """The display title (name, measure or title) of each hit's record."""
    wanted: dict[SearchType, list[int]] = {}
    for hit in hits:
        wanted.setdefault(hit.record_type, []).append(hit.record_id)
    titles: dict[tuple[SearchType, int], str] = {}
    for record_type, ids in wanted.items():
        table = table_of(record_type)
        title = table.c[INDEXED[record_type].title]
        rows = connection.execute(select(table.c.id, title).where(table.c.id.in_(ids))).all()
        titles.update({(record_type, row_id): text for row_id, text in rows})
    return titles


def related_hits(connection: Connection, related: list[Related]) -> list[dict[str, Any]]:
    """`related` as `RelatedHit`s (app/models.py) in plain JSON values, titled."""
    titles = record_titles(connection, related)
    return [
        {
            "type": item.record_type.value,
            "slug": item.slug,
            "title": titles.get((item.record_type, item.record_id), item.slug),
            "shared_words": list(item.shared_words),
            "why": item.why(),
        }
        for item in related
    ]


# --------------------------------------------------------------------------------------------
# Snippets
# --------------------------------------------------------------------------------------------


def _matches_query(word: str, query: ParsedQuery, expansions: Expansions) -> bool:
    word = stem(word)
    return any(
        word.startswith(query_word) or word in expansions.get(query_word, {})
        for query_word in query.words
    )


def snippet(text: str, match_field: MatchField, query: ParsedQuery, expansions: Expansions) -> str:
    if match_field in KEY_FIELDS:
        return f"<mark>{html.escape(text, quote=False)}</mark>"
    spans = [
        (found.start(), found.end())
        for found in WORD_SPAN.finditer(text)
        if _matches_query(normalize(found.group()), query, expansions)
    ]
    start, end = 0, len(text)
    if len(text) > SNIPPET_LENGTH:
        first = spans[0][0] if spans else 0
        start = max(0, first - SNIPPET_LENGTH // 3)
        if start > 0:
            space = text.find(" ", start, first)
            start = first if space == -1 else space + 1
        end = min(len(text), start + SNIPPET_LENGTH)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = end if space <= start else space
    parts = ["…"] if start > 0 else []
    position = start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts.append(html.escape(text[position:span_start], quote=False))
        parts.append(f"<mark>{html.escape(text[span_start:span_end], quote=False)}</mark>")
        position = span_end
    parts.append(html.escape(text[position:end], quote=False))
    if end < len(text):
        parts.append("…")
    return "".join(parts)
