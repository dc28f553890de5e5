"""French-first text analysis shared by the lexical index and the extractive answerer."""

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
    "apres etude rapport note recommandation document indique indiquent cite citent present presente "
    "propose proposent retient definit definition france francais francaise".split()
)

_ENGLISH_HINTS = frozenset(
    "the what which how many much does did is are was were of to in according who when where why".split()
)
_FRENCH_HINTS = frozenset(
    "le la les des du de quel quelle quels quelles combien est sont selon pour dans une un et qui que en au aux".split()
)


def fold(text: str) -> str:
    """Lowercase, typographic apostrophes made plain, accents removed: 'L’Étude' -> "l'etude"."""
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    return "".join(c for c in text if not unicodedata.combining(c))


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


def tokenize(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Analyser of the lexical index: words without stopwords (and without `drop`), stemmed (French Snowball,
    plural s/x first dropped), then accent-folded.

    >>> tokenize("L’étude recense près de 5 000 emplois d’ici 2025")
    ['etud', 'recens', 'pre', '5000', 'emploi', 'ici', '2025']
    """
    return [_stem(w) for w in _words(text) if _fold_word(w) not in drop]


def detect_language(text: str) -> str:
    """'en' or 'fr', from function words; French when unsure (the reports are French)."""
    words = re.findall(r"[a-zà-ÿ']+", text.lower().translate(_APOSTROPHES))
    english = sum(w in _ENGLISH_HINTS for w in words)
    french = sum(w in _FRENCH_HINTS or "'" in w for w in words)
    return "en" if english > french else "fr"
