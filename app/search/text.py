"""Text as the search index and its queries see it: normal forms, words, trigrams, weights.

One module for both sides, so that a term is cut into words exactly as a query is: unaccented,
case-folded, apostrophes dropped, other punctuation a space; codes and identifiers as compact
keys (`M77.10` -> `m7710`); stopwords out.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from app.models import (
    SEARCH_NORM_LENGTH,
    SEARCH_WORD_LENGTH,
    MatchField,
    SearchType,
)

STOPWORDS = frozenset("a an and as at by for from in of on or the to with".split())

WEIGHTS: dict[MatchField, int] = {
    MatchField.name: 10,
    MatchField.record_title: 10,
    MatchField.synonym: 8,
    MatchField.alias: 8,
    MatchField.code: 7,
    MatchField.identifier: 7,
    MatchField.measure: 6,
    MatchField.component: 5,
    MatchField.author: 3,
    MatchField.finding: 2,
    MatchField.summary: 1,
    MatchField.description: 1,
}
MAX_WEIGHT = max(WEIGHTS.values())
KEY_FIELDS = frozenset({MatchField.code, MatchField.identifier})
"""Matched by compact key (punctuation and spaces removed), not word by word."""
SUGGESTED_FIELDS = frozenset(
    {MatchField.name, MatchField.synonym, MatchField.alias, MatchField.record_title}
)
# keyed by value: candidate terms carry their type and field as text
TYPE_ORDER = {record_type.value: position for position, record_type in enumerate(SearchType)}
FIELD_ORDER = {match_field.value: position for position, match_field in enumerate(MatchField)}

# --------------------------------------------------------------------------------------------
# Normal forms
# --------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans("", "", "'’‘ʼ`´")
_NON_WORD = re.compile(r"[\W_]+")
WORD_SPAN = re.compile(r"[^\W_]+(?:['’‘ʼ][^\W_]+)*")
CODE_LIKE = re.compile(r"(?:[a-z]\d|\d{5}|nct\d|actrn\d|10\.\d)", re.IGNORECASE)


def normalize(text: str) -> str:
    """Unaccented, case-folded, apostrophes dropped ("Morton's" -> "mortons"), every other
    run of non-alphanumeric characters one space, no leading or trailing space."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", text.casefold().translate(_APOSTROPHES)).strip()


def compact_key(text: str) -> str:
    """A code or identifier without punctuation or spaces: "M77.10" -> "m7710"."""
    return normalize(text).replace(" ", "")[:SEARCH_NORM_LENGTH]


def words_of(norm: str) -> list[str]:
    """The distinct words of a normal form, in order, without stopwords."""
    words = (word[:SEARCH_WORD_LENGTH] for word in norm.split() if word not in STOPWORDS)
    return list(dict.fromkeys(words))


@functools.lru_cache(maxsize=65_536)
def split_term(norm: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """`words_of`, in order and as a set, remembered: ranking splits each candidate term's
    text, and the same terms come up query after query."""
    words = tuple(words_of(norm))
    return words, frozenset(words)


@functools.lru_cache(maxsize=16_384)
def whole_norm(text: str) -> str:
    """`normalize`, remembered, for the long texts whose stored normal form was cut short."""
    return normalize(text)


def trigrams(word: str) -> list[str]:
    padded = f" {word} "
    return sorted({padded[index : index + 3] for index in range(len(padded) - 2)})


def max_typos(word: str) -> int:
    """Edits tolerated in a word: none under 4 letters, one up to 5, two from 6."""
    return 0 if len(word) < 4 else 1 if len(word) < 6 else 2


def successor(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix` (None: no bound)."""
    for position in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[position]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:position] + chr(code)
    return None
