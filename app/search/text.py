"""Text as the search index and its queries see it: normal forms, words, trigrams, weights.

One module for both sides, so that a term is cut into words exactly as a query is: unaccented,
case-folded, apostrophes dropped, other punctuation a space; codes and identifiers as compact
keys (`M77.10` -> `m7710`); stopwords out; each word reduced to its English stem (Snowball,
through PyStemmer) so that `tendons`, `knees` and `injuries` find `tendon`, `knee` and `injury`,
except the medical endings the stemmer would mangle (`-itis`, `-osis`, `-algia`, `-oma`,
`-pathy`, kept whole, their plurals folded onto them) and short words and abbreviations.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import Stemmer

from app.models import (
    SEARCH_NORM_LENGTH,
    SEARCH_WORD_LENGTH,
    MatchField,
    SearchType,
)

STOPWORDS = frozenset(
    """a an and as at by for from in of on or the to with
    i im me my mine is are was were be been being am do does did have has had having
    it its this that these those what which who how why when where about into also very""".split()
)
"""Words that never narrow a search: dropped from terms and queries alike (the index format
changes with this list)."""

WEIGHTS: dict[MatchField, int] = {
    MatchField.name: 10,
    MatchField.record_title: 10,
    MatchField.synonym: 8,
    MatchField.alias: 8,
    MatchField.code_title: 8,
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


# --------------------------------------------------------------------------------------------
# Word forms
# --------------------------------------------------------------------------------------------

_STEMMER = Stemmer.Stemmer("english")
MEDICAL_PLURALS = (
    ("itides", "itis"),
    ("oses", "osis"),
    ("algias", "algia"),
    ("omata", "oma"),
    ("omas", "oma"),
    ("pathies", "pathy"),
)
"""Latin and Greek plurals folded onto their singular ("epicondylitides" -> "epicondylitis")."""
MEDICAL_ENDINGS = ("itis", "osis", "algia", "oma", "pathy")
"""Words with these endings are kept whole: the stemmer cuts "tendonitis" to "tendon" and
"osteoarthritis" to "osteoarthr", so that a query for the tendon would find the inflammation."""
PROTECTED_WORDS = frozenset(
    "lateral medial plantar fascial sciatic sciatica osgood schlatter lumbago".split()
)
"""Words kept as typed: names and anatomical terms the stemmer would merge with everyday
words ("lateral" and "later" are one stem to it) or cut for no gain."""
QUALIFIERS = frozenset(
    """left right bilateral both side sided unilateral chronic acute severe mild moderate
    recurrent persistent pain pains painful ache aches aching sore soreness hurt hurts hurting
    tender stiff stiffness swollen swelling symptom symptoms problem problems""".split()
)
"""Words that say which side, how bad or how it feels, not which condition: a query that
holds a record's words and some of these is still about that record (a partial match); any
other unmatched word may name another condition (`golfers elbow` is not tennis elbow)."""


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The indexed form of one normalized word: its English stem, except short words,
    abbreviations and codes (`oa`, `koa`, `m77`), protected words, and medical endings."""
    if len(word) <= 3 or word in PROTECTED_WORDS or not word.isalpha():
        return word
    for plural, singular in MEDICAL_PLURALS:
        if word.endswith(plural):
            return word[: -len(plural)] + singular
    if word.endswith(MEDICAL_ENDINGS):
        return word
    return str(_STEMMER.stemWord(word))


def words_of(norm: str) -> list[str]:
    """The distinct words of a normal form, in order, without stopwords."""
    words = (word[:SEARCH_WORD_LENGTH] for word in norm.split() if word not in STOPWORDS)
    return list(dict.fromkeys(words))


def stems_of(words: list[str]) -> list[str]:
    """The distinct stems of `words`, in order."""
    return list(dict.fromkeys(stem(word) for word in words))


QUALIFIER_STEMS = frozenset(stem(word) for word in QUALIFIERS)


@functools.lru_cache(maxsize=65_536)
def split_term(norm: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """The stems of a term's words, in order and as a set, remembered: ranking splits each
    candidate term's text, and the same terms come up query after query."""
    words = tuple(stems_of(words_of(norm)))
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
