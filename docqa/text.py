"""French-first text analysis shared by ingestion, the lexical index and the answerers: folding, tokenizing,
sentences and numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_ELISION = re.compile(r"\b(?:l|d|qu|n|s|c|j|m|t|jusqu|lorsqu|puisqu|quoiqu)'", re.IGNORECASE)
# "5 000", "5 000" (narrow no-break space) and "5.000" are one number: 5000
_THOUSANDS = re.compile(r"(?<![\d,.])(\d{1,3})(?:[ \u00a0\u202f.](\d{3}))+(?![\d])")
_WORD = re.compile(r"[^\W_]+(?:[,.][0-9]+)?")

STOPWORDS = (
    frozenset(STOPWORDS_FRENCH)
    | frozenset(STOPWORDS_EN)
    | frozenset(
        "a à ainsi alors au aux cet cette comme dont également leur leurs lui même ou où par peut plus pour "
        "selon sont tout tous très être été".split()
    )
)
# Words that shape a question but say nothing of its subject; ignored when checking that a passage covers it.
QUESTION_WORDS = frozenset(
    "combien quel quelle quels quelles quoi qui comment pourquoi quand lequel laquelle lesquels "
    "lesquelles est-ce what which who whom how when where why does did do according many much whose selon "
    "apres".split()
)

_ENGLISH_HINTS = frozenset(
    "the what which how many much does did is are was were of to in according who when where why".split()
)
_FRENCH_HINTS = frozenset(
    "le la les des du de quel quelle quels quelles combien est sont selon pour dans une un et qui que en au aux".split()
)


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Lowercase, typographic apostrophes made plain, accents removed: 'L’Étude' -> "l'etude"."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_JOINERS = "\u200c\u200d"  # zero-width non-joiner and joiner


def one_line(text: str) -> str:
    """`text` as one line that shows what it says: format characters (right-to-left overrides, zero-width spaces,
    soft hyphens; not the joiners that emoji and some scripts need) dropped, control characters (NUL, PowerPoint's
    line break \\v) and whitespace runs as one space."""
    kinds = ((c, unicodedata.category(c)) for c in text)
    kept = (" " if kind == "Cc" else c for c, kind in kinds if kind != "Cf" or c in _JOINERS)
    return " ".join("".join(kept).split())


def join_acronyms(text: str) -> str:
    """Acronyms written with hyphens or dots as one word: "AP-HP" -> "APHP", "U.E." -> "UE."."""
    return _ACRONYM_GLUE.sub("", text)


_ACRONYM_GLUE = re.compile(r"(?<=[A-Z])[-.](?=[A-Z])")


def normalize_numbers(text: str) -> str:
    """Write grouped thousands without separators: '5 000 emplois' -> '5000 emplois'."""
    return _THOUSANDS.sub(lambda m: re.sub(r"[ \u00a0\u202f.]", "", m.group()), text)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


def _words(text: str) -> list[str]:
    text = normalize_numbers(_ELISION.sub(" ", text.translate(_APOSTROPHES).lower()))
    return [w for w in _WORD.findall(text) if _fold_word(w) not in STOPWORDS]


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> str:
    return fold(word)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    """Plural s/x dropped, French Snowball stem, accents folded (cached: a corpus has few distinct words)."""
    if len(word) > 3 and word[-1] in "sx" and not word[-2].isdigit():
        word = word[:-1]
    return fold(_stemmer().stemWord(word))


def terms(text: str) -> list[str]:
    """Folded words of `text` without elisions and stopwords, numbers normalised (not stemmed)."""
    return [_fold_word(w) for w in _words(text)]


def word_stems(text: str) -> list[tuple[str, str]]:
    """Each word of `text` (folded, as `terms` gives it) with its stem (as `tokenize` gives it).

    >>> word_stems("Les données")
    [('donnees', 'don')]
    """
    return [(_fold_word(w), _stem(w)) for w in _words(text)]


def tokenize(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Analyser of the lexical index: words without stopwords (and without `drop`), stemmed (French Snowball,
    plural s/x first dropped), then accent-folded.

    >>> tokenize("L’étude recense près de 5 000 emplois d’ici 2025")
    ['etud', 'recens', 'pre', '5000', 'emploi', 'ici', '2025']
    """
    return list(_tokens(text, drop))


@lru_cache(maxsize=100_000)
def _tokens(text: str, drop: frozenset[str]) -> tuple[str, ...]:
    return tuple(_stem(w) for w in _words(text) if _fold_word(w) not in drop)


def detect_language(text: str) -> str:
    """'en' or 'fr', from function words; French when unsure (the reports are French)."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower().translate(_APOSTROPHES))
    english = sum(w in _ENGLISH_HINTS for w in words)
    french = sum(w in _FRENCH_HINTS or "'" in w for w in words)
    return "en" if english > french else "fr"


# A sentence ends at . ! ? … (optionally followed by a closing quote/bracket) before a space and an
# uppercase letter, digit, bullet or opening quote; or at a line break (slides: one item per line).
_ABBREVIATIONS = ("M.", "Mme.", "Dr.", "Pr.", "etc.", "cf.", "p.", "e.g.", "i.e.", "vs.", "n°.", "av.", "J.-C.")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»\")\]]?\s+(?=[A-ZÀ-ÖØ-Ý0-9«\"(•–-])|\n+")
MIN_SENTENCE_CHARS = 12  # shorter pieces ("1.", "Agenda") are not scored


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, whitespace excluded.

    >>> t = "Il y a 97 startups. Début 2020, 18 multinationales.\\nAgenda"
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['Il y a 97 startups.', 'Début 2020, 18 multinationales.', 'Agenda']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if "\n" not in match.group() and _ends_with_abbreviation(text, match.start()):
            continue
        _add_span(spans, text, start, match.start())
        start = match.end()
    _add_span(spans, text, start, len(text))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the sentences of `text` that are worth scoring."""
    return [(s, e) for s, e in split_sentences(text) if e - s >= MIN_SENTENCE_CHARS]


def _ends_with_abbreviation(text: str, end: int) -> bool:
    tail = text[max(0, end - 6) : end]
    return any(tail.endswith(" " + abbr) or tail == abbr for abbr in _ABBREVIATIONS) or bool(
        re.search(r"(?:^|\s)[A-Z]\.$", tail)
    )


def _add_span(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


_NUMBER = re.compile(r"(?<![^\W\d_])\d+(?:[,.]\d+)?(?![^\W\d_])")


def numbers(text: str) -> set[str]:
    """The numbers written in `text`, thousands separators removed, not those glued to letters ("M1", "3ème"):
    "5 000 et 18" -> {"5000", "18"}."""
    return set(_NUMBER.findall(normalize_numbers(text)))


_NUMBERING = re.compile(r"(?:#|n°|\()\s*\d+\)?|^\d{1,2}[.)]")
_HAS_DIGIT = re.compile(r"\d")
HEADING_MAX_WORDS = 12
SECTION_MAX_CHARS = 120  # a section is named by its heading cut to this length


def is_heading(text: str) -> bool:
    """A title line: a Markdown heading, or no end punctuation, at most `HEADING_MAX_WORDS` words and no number
    (but a numbering: "Etude de cas #6 – ...")."""
    folded = fold(text).rstrip()
    if folded.startswith("#"):
        return True
    unnumbered = _NUMBERING.sub(" ", folded)
    return (
        not folded.endswith(tuple(".!?…»):;,-–&'"))
        and len(folded.split()) <= HEADING_MAX_WORDS
        and not _HAS_DIGIT.search(unnumbered)
    )


def headings(text: str) -> list[tuple[int, str]]:
    """(offset, title) of the heading lines of a page, in order: lines that read as titles (`is_heading`) and
    start with a capital, a digit or '#', cut to `SECTION_MAX_CHARS`; "# 17 : Mettre en place..." -> "17 : Mettre
    en place...". A chunk's section, and a quote's, is the last heading at or before its start."""
    found = []
    offset = 0
    for line in text.split("\n"):
        title = line.strip().lstrip("#").strip()
        starts_like_a_title = title[:1].isupper() or title[:1].isdigit()
        if starts_like_a_title and is_heading(line.strip()) and sum(c.isalpha() for c in title) >= 3:
            found.append((offset, title[:SECTION_MAX_CHARS]))
        offset += len(line) + 1
    return found
