"""Values that answer typed questions, found in a sentence: counts, amounts, percentages, dates, durations.
One pattern per kind, shared by the sentence features, the answer checks and the direct answer's lead."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docqa.question import Question
from docqa.text import fold, normalize_numbers, tokenize

# not "#3", "n° 3", nor a footnote call glued to a word ("Future(7)")
_NUMBER = r"(?<![\w.,/#°])(?<!#\s)(?<!n°\s)(?<!\w\()(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?"
# money needs its currency: "1,6 million de patients" is a count, "1,6 million d'euros" an amount
_NUMBER_WORDS = (
    r"(?:deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|cent|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|hundred)"
)
# French numerals of an approximate count ("une trentaine de projets"), and how an English answer says them
APPROXIMATE_NUMERALS = {
    "dizaine": "about ten",
    "douzaine": "about a dozen",
    "quinzaine": "about fifteen",
    "vingtaine": "about twenty",
    "trentaine": "about thirty",
    "quarantaine": "about forty",
    "cinquantaine": "about fifty",
    "soixantaine": "about sixty",
    "centaine": "about a hundred",
    "millier": "about a thousand",
}
APPROXIMATE = re.compile(rf"\b(?:une?\s+|des\s+|quelques\s+)?({'|'.join(APPROXIMATE_NUMERALS)})s?\b", re.IGNORECASE)
_CURRENCY = (
    r"(?:k€|m€|md€|mds?\s*€|m\$|md\$|mds?\s*\$|m£|€|\$|£|euros?|dollars?|"
    r"(?:millions?|milliards?|mds?|billions?)\s*(?:d['’]\s*euros|de dollars|€|\$|£|euros?|dollars?))"
)
# shares said in words, and how an English answer says them
SHARES = {
    "la moitié": "half",
    "un tiers": "a third",
    "deux tiers": "two thirds",
    "un quart": "a quarter",
    "trois quarts": "three quarters",
}
# "un clinicien sur deux", "un sur deux", "one in three", "one in three hospitals": not "un regard sur deux ans" (in
# French, a noun after the number counts something else)
ONE_IN = re.compile(
    r"\b(?:(?:une?)\s+(?:[^\W\d_]+\s+)?sur\s+(deux|trois|quatre|cinq|six|sept|huit|dix)\b"
    r"(?!\s+(?!(?:dans|sous|vers|chez|les|des|ces|ses|nos|vos|plus|moins)\b)[^\W\d_]+[sx]\b)"
    r"|one\s+(?:[^\W\d_]+\s+)?in\s+(two|three|four|five|six|seven|eight|ten)\b)",
    re.IGNORECASE,
)
# French number words and duration units, as an English answer says them
_FRENCH_NUMBERS = "un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente cent"
_ENGLISH_NUMBERS = "one one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty hundred"
NUMBER_WORDS_EN = {**dict(zip(_FRENCH_NUMBERS.split(), _ENGLISH_NUMBERS.split(), strict=True)), "cent": "a hundred"}
DURATION_UNITS_EN = {
    "an": "year",
    "annee": "year",
    "mois": "month",
    "semaine": "week",
    "jour": "day",
    "heure": "hour",
    "minute": "minute",
}
_MONTHS_FR = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
_MONTHS_EN = "January February March April May June July August September October November December".split()
_MONTHS = "|".join(_MONTHS_FR + [fold(m) for m in _MONTHS_FR] + _MONTHS_EN)
# the adjectives written before the noun a count counts ("377 nouveaux emplois", "3 grands groupes", "two new sites")
_PRENOMINAL = (
    r"(?:nouve(?:aux|lles?)|grand(?:e?s)|petit(?:e?s)|autres|principa(?:ux|les)|jeunes|"
    r"new|other|main|major|large|small|young)"
)
_PRENOMINAL_WORD = re.compile(rf"(?<![\w-]){_PRENOMINAL}(?=\s+[^\W\d_])", re.IGNORECASE)
_HALF = r"(?:\s+et\s+demie?\b|\s+and\s+a\s+half\b)?"  # "deux ans et demi"
_DURATION_UNITS = r"(?:ans?|années?|annees?|mois|semaines?|jours?|heures?|minutes?|years?|months?|weeks?|days?|hours?)"

PATTERNS: dict[str, re.Pattern[str]] = {
    "amount": re.compile(rf"{_NUMBER}\s*{_CURRENCY}(?![\w])", re.IGNORECASE),
    # a share said in words is a percentage too ("la moitié des SMT", "un clinicien sur deux")
    "percentage": re.compile(
        rf"{_NUMBER}\s*(?:%|pour ?cent\b|percent\b)|(?<!à )(?<!first )(?<!second )"
        rf"\b(?:{'|'.join(SHARES)}|{'|'.join(SHARES.values())})\b(?!-|\s+de confiance|\s*d['’]heure)|{ONE_IN.pattern}",
        re.IGNORECASE,
    ),
    # "les 5 prochaines années", "les sept premières heures" too
    "duration": re.compile(
        rf"(?:{_NUMBER}|(?<![\w-]){_NUMBER_WORDS}(?!-))\s*(?:(?:premi[eè]re?s|derni[eè]re?s|prochaine?s)\s+)?"
        rf"{_DURATION_UNITS}\b{_HALF}"
        # "un an", "one week"; not "un jour" (someday) nor "une heure de pointe"
        rf"|(?<![\w-])(?:une?|one)\s+(?:an|année|annee|mois|semaine|year|month|week)\b{_HALF}",
        re.IGNORECASE,
    ),
    "date": re.compile(
        rf"\b(?:\d{{1,2}}(?:er)?\s+)?(?:{_MONTHS})\s+(?:19|20)\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/(?:19|20)\d{{2}}\b|"
        rf"(?<![\d,.])(?:19|20)\d{{2}}(?![\d,.]\d)",
        re.IGNORECASE,
    ),
    # a number, in digits or words, with the word that says what it counts ("97 startups", "six étapes",
    # "une vingtaine d'écoles"), after an adjective that goes before its noun ("377 nouveaux emplois") or after
    # its order of magnitude ("1,6 million de patients"); not the first number of a ratio or a slide's place
    # ("3/4", "(1/2)")
    "count": re.compile(
        rf"(?:{_NUMBER}(?![\d\s.,]*/\s*\d)|{APPROXIMATE.pattern}|\b{_NUMBER_WORDS}\b)"
        rf"(?:\s+{_PRENOMINAL}(?=\s+[^\W\d_]))?"
        rf"(?:\s+(?!(?:et|ou|de|à|en|and|or|of|to|in)\b)[^\W\d_][\w’'-]*)?(?![\d])"
        rf"(?:(?:(?<=million)|(?<=millions)|(?<=milliard)|(?<=milliards)|(?<=milliers))"
        rf"\s+(?:de\s+|d['’]\s*)[^\W\d_][\w’'-]*)?",
        re.IGNORECASE,
    ),
}
_DAY_OF_MONTH = re.compile(rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\b", re.IGNORECASE)
_YEAR = re.compile(r"(?:19|20)\d{2}")
_GROUPED = re.compile(r"\d{1,3}[ \u00a0\u202f]\d{3}")  # digits grouped by thousands
# a bare number after a capitalised word inside a sentence is part of a name, not a count ("le Master 1 &", "et
# Paris 13)"); not after a sentence's first word ("Environ 300."). (A number glued to a name by a hyphen,
# "Covid-19", read as a name too: CV -0.003.)
_NAME_BEFORE = re.compile(r"[\w,;)&/]\s+[A-ZÀ-ÖØ-Ý][a-zà-öø-ÿ][\w-]*\s+$")
# words before a number that make it approximate or a bound, and their English forms (an apostrophe is
# written straight here and matched curly too: `approximation_en`)
APPROXIMATIONS = {
    "environ": "about",
    "plus d'": "more than",
    "moins d'": "less than",
    "près d'": "nearly",
    "près de": "nearly",
    "pres de": "nearly",
    "plus de": "more than",
    "moins de": "less than",
    "jusqu'à": "up to",
    "au moins": "at least",
    "quelque": "some",
}
_APPROXIMATION = re.compile(
    r"(" + "|".join(re.escape(k).replace("'", "['’]") for k in APPROXIMATIONS) + r")\s*$", re.IGNORECASE
)


def approximation_en(approximation: str) -> str:
    """The English form of an approximation word as the text writes it ("près d’" -> "nearly")."""
    return APPROXIMATIONS.get(approximation.lower().replace("’", "'"), approximation)


_UNIT = re.compile(r"(?:mille|milliers?|millions?|milliards?|thousands?|billions?|pour ?cents?|points?|fois|times)\b")


def is_unit(phrase: str) -> bool:
    """Whether what a count question counts is a unit ("millions d'euros", "jours", "pourcents"), which the value
    check covers, not a thing that the quotes name."""
    sample = f"2 {phrase}"
    quantity = any(PATTERNS[k].match(sample) for k in ("amount", "percentage", "duration"))
    return quantity or bool(_UNIT.match(fold(phrase)))


# The kinds of a quantity: a question asking one may be answered by another ("combien pèse..." by an amount)
QUANTITIES = ("count", "amount", "percentage")


@dataclass(frozen=True)
class Value:
    """A value found in a sentence: `text` is the sentence's own words for it, `start`/`end` its offsets."""

    kind: str
    text: str
    start: int
    end: int
    approximation: str = ""  # "environ", "près de"... as written before it

    @property
    def counted(self) -> frozenset[str]:
        """The analysed tokens of what a count counts: its noun, not its number nor an adjective before the noun
        ("377 nouveaux emplois" -> the stem of "emplois": it does not count "new companies")."""
        words = _PRENOMINAL_WORD.sub(" ", self.text)
        return frozenset(t for t in tokenize(words) if not t[0].isdigit())


def _named(text: str, match: re.Match[str]) -> bool:
    """Whether a count's match is a bare number that is part of a name (`_NAME_BEFORE`)."""
    return match.group() == match.group().split()[0] and bool(_NAME_BEFORE.search(text[: match.start()]))


def find_values(kind: str, text: str, question: Question | None = None) -> list[Value]:
    """The values of `kind` ("count", "amount", "percentage", "date", "duration") stated in `text`, in order.

    Counts leave out what is not a count: years, days of a date, amounts, percentages and durations (unless the
    question asks for that kind), and numbers the question itself gives.

    >>> [v.text for v in find_values("count", "Début 2020, 97 startups et 18 multinationales, soit 15 %.")]
    ['97 startups', '18 multinationales']
    """
    if kind not in PATTERNS:
        return []
    asked = {normalize_numbers(n) for n in question.numbers} if question else set()
    masked = text
    if kind == "count":
        masked = _DAY_OF_MONTH.sub(lambda m: " " * len(m.group()), masked)
        for other in ("amount", "percentage", "duration"):
            masked = PATTERNS[other].sub(lambda m: " " * len(m.group()), masked)
    values = []
    for match in PATTERNS[kind].finditer(masked):
        number = normalize_numbers(match.group().split()[0]).replace("\u00a0", "")
        leading = re.match(r"[\d.,\u00a0\u202f ]+", normalize_numbers(match.group()))
        digits = (leading.group() if leading else number).strip()
        year = _YEAR.fullmatch(digits) and not _GROUPED.match(match.group())  # "2 000 personnes" is no year
        if kind == "count" and (year or digits in asked or _named(text, match)):
            continue
        if kind == "date" and match.group() in asked:
            continue
        before = _APPROXIMATION.search(text[max(0, match.start() - 12) : match.start()])
        values.append(
            Value(
                kind=kind,
                text=text[match.start() : match.end()],
                start=match.start(),
                end=match.end(),
                approximation=before.group(1) if before else "",
            )
        )
    return values
