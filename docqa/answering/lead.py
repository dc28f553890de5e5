"""The direct answer that leads an answer to a typed question: the value the quotes state, with its unit or what
it counts, in the question's language ("environ 5 000 emplois d'ici 2025"; "about 5,000 jobs by 2025")."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from docqa.question import Question
from docqa.scoring import Logistic, ScoredSentence, names_share
from docqa.text import fold, tokenize
from docqa.values import (
    APPROXIMATE,
    APPROXIMATE_NUMERALS,
    DURATION_UNITS_EN,
    NUMBER_WORDS_EN,
    ONE_IN,
    SHARES,
    Value,
    approximation_en,
    find_values,
)

_LABELLED = re.compile(r"(?:^|[;•]\s*)([^:;•]{1,60}):\s*(?:environ\s+|près de\s+)?$", re.IGNORECASE)
# orders of magnitude a count may be written with ("1,6 million"), and their English words
_MAGNITUDES = {"mille": "thousand", "million": "million", "milliard": "billion"}
_MAGNITUDE = re.compile(rf"({'|'.join(_MAGNITUDES)})s?\b", re.IGNORECASE)
_DIGITS = r"[\d \u00a0\u202f.,]+"
_COUNT_HEAD = re.compile(rf"{_DIGITS}|\w+")
_MONTHS = dict(
    zip(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
        "January February March April May June July August September October November December".split(),
        strict=True,
    )
)


LEAD_MODEL = Path(__file__).parent.parent / "lead.json"
# What the lead model reads of a value found in a quoted sentence
LEAD_FEATURES = (
    "first_sentence",
    "sentence_rank",
    "sentence_score",
    "names_counted",
    "label_terms",
    "window_terms",
    "sentence_terms",
    "distance",
    "approximate",
    "bare",
    "at_end",
    "position",
    "first_value",
    "values",
    "names",
    "frame_near",
    "shouted",
    "magnitude",
)
_WINDOW = 60  # characters on each side of a value that count as its neighbourhood
# where a clause ends: a punctuation mark or a coordinating word ("..., et les 7 entreprises étrangères")
_CLAUSE_END = re.compile(
    r"[,;:()•▪]|\s(?:et|and|mais|but|dont|alors que|whereas|while|contre|against|versus|vs\.?)\s", re.IGNORECASE
)


@dataclass(frozen=True)
class Candidate:
    """A value of the asked kind stated by the `rank`-th quoted sentence."""

    sentence: ScoredSentence
    value: Value
    rank: int


@dataclass(frozen=True)
class LeadModel:
    """A logistic model (`python -m eval.fit_lead`) of "this value of a quoted sentence is the answer": an answer
    leads with the value `labelled_choice` picks when its probability reaches `lead_min_probability`."""

    model: Logistic
    info: dict

    def probabilities(self, question: Question, candidates: list[Candidate]) -> np.ndarray:
        return self.model(lead_features(question, candidates))

    @classmethod
    def load(cls, path: Path = LEAD_MODEL) -> LeadModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != LEAD_FEATURES:
            raise ValueError(f"{path}: fitted for other features; refit with `python -m eval.fit_lead`")
        return cls(Logistic.from_json(data["model"]), {k: v for k, v in data.items() if k != "model"})

    def save(self, path: Path = LEAD_MODEL) -> None:
        data = {**self.info, "features": list(LEAD_FEATURES), "model": self.model.to_json()}
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def candidates(question: Question, chosen: list[ScoredSentence]) -> list[Candidate]:
    """The values of the kind the question asks stated by the quoted sentences, in order."""
    return [
        Candidate(sentence, value, rank)
        for rank, sentence in enumerate(chosen)
        for value in find_values(question.answer_type, sentence.text, question)
    ]


def lead_features(question: Question, candidates: list[Candidate]) -> np.ndarray:
    """The features `LEAD_FEATURES` of each candidate value (a row each): where its sentence ranks and how it
    scores, whether it names what the question counts, how many of the question's words are in its label,
    around it and in its sentence, how far the nearest one is, how it is written and where it stands in the
    sentence."""
    return np.array([_features(question, c) for c in candidates])


def labelled_choice(question: Question, candidates: list[Candidate]) -> Candidate:
    """The value that leads: in the first sentence that names all the question's names (else the first), the
    value that names what the question counts, else the one whose label ("Budget 2023: 8 M€", a table row's
    column) says the most of the question's words, else the one nearest to them."""
    sentences = list(dict.fromkeys(c.rank for c in candidates))
    named = [r for r in sentences if names_share(question, _sentence(candidates, r).text) == 1.0]
    rank = (named or sentences)[0]
    own = [c for c in candidates if c.rank == rank]
    value = _closest([c.value for c in own], own[0].sentence.text, question)
    return next(c for c in own if c.value == value)


def _sentence(candidates: list[Candidate], rank: int) -> ScoredSentence:
    return next(c.sentence for c in candidates if c.rank == rank)


def _features(question: Question, candidate: Candidate) -> list[float]:
    text, value = candidate.sentence.text, candidate.value
    concepts = question.concept_tokens
    words = [(m.start(), set(tokenize(m.group()))) for m in re.finditer(r"\w+", text)]

    def share(stems: set[str]) -> float:
        return _concepts_said(question, stems) / max(1, len(concepts))

    near = set().union(*(w for at, w in words if value.start - _WINDOW <= at <= value.end + _WINDOW))
    asked = [at for at, w in words if any(w.intersection(c) for c in concepts) and not value.start <= at < value.end]
    distance = min((abs(at - value.start) for at in asked), default=len(text))
    values = find_values(question.answer_type, text, question)
    around = text[max(0, value.start - _WINDOW) : value.end + _WINDOW]
    letters = re.sub(r"[^\w]|\d", "", value.text)
    return [
        float(candidate.rank == 0),
        float(min(candidate.rank, 3)),
        candidate.sentence.score,
        float(_names_counted(question, value, text)),
        share(set(tokenize(_label(text, value)))),
        share(near),
        share(set().union(*(w for _, w in words))),
        math.log1p(distance),
        float(bool(value.approximation) or bool(APPROXIMATE.match(value.text))),
        float(not letters),
        float(len(text.rstrip(" .;:)*")) - value.end <= 1),
        value.start / max(1, len(text)),
        float(values[:1] == [value]),
        math.log1p(len(values)),
        names_share(question, text),
        float(any(year in around for year in question.time_frame)),
        float(len(letters) > 1 and letters.isupper()),
        float(bool(_MAGNITUDE.search(value.text))),
    ]


@dataclass(frozen=True)
class Lead:
    """The direct answer: its words, the quoted sentence that states it, and the lead model's probability that it
    answers."""

    text: str
    sentence: ScoredSentence
    probability: float


def direct_answer(question: Question, chosen: list[ScoredSentence], model: LeadModel) -> Lead | None:
    """For a question asking a count, an amount, a percentage, a date or a duration: the value of the quoted
    sentences that `labelled_choice` picks, with its unit or what it counts, in the question's language
    ("environ 5 000 emplois d'ici 2025"; "about 5,000 jobs by 2025"), and how likely it is to answer."""
    found = candidates(question, chosen) if question.wants_value else []
    if not found:
        return None
    picked = labelled_choice(question, found)
    probability = float(model.probabilities(question, [picked])[0])
    return Lead(_lead(question, picked.value, picked.sentence.text), picked.sentence, probability)


def _names_counted(question: Question, value: Value, text: str) -> bool:
    """Whether `value` (in `text`) names what the question counts, in its own words or its label ("21 experts",
    "Startups : 97" for "combien de startups")."""
    return bool(question.subject_tokens & (value.counted | set(tokenize(_label(text, value)))))


def _closest(values: list[Value], text: str, question: Question) -> Value:
    """The value that names what the question counts ("startups"), else the one whose label ("Budget 2023: 8 M€",
    a table row's cell) says most of the question's words, else the one whose clause says most of them ("10
    entreprises françaises identifiées ..., et les 7 entreprises étrangères ..." for the French companies), else
    the one nearest to them in the sentence (the first on ties); the question's words with the corpus words that
    translate them."""
    labels = {v: set(tokenize(_label(text, v))) for v in values}
    values = [v for v in values if _names_counted(question, v, text)] or values
    wanted = set().union(*question.concept_tokens)
    best = max(len(wanted & labels[v]) for v in values)
    if best > 0:
        values = [v for v in values if len(wanted & labels[v]) == best]
    said = {v: _concepts_said(question, set(tokenize(_clause(text, v)))) for v in values}
    most = max(said.values())
    if most > 0:
        values = [v for v in values if said[v] == most]
    positions = [m.start() for m in re.finditer(r"\w+", text) if set(tokenize(m.group())) & wanted]
    if not positions:
        return values[0]
    return min(values, key=lambda v: min(abs(v.start - p) for p in positions))


def _clause(text: str, value: Value) -> str:
    """The clause of `text` that holds `value`: between the punctuation marks or coordinating words around it."""
    starts = [m.end() for m in _CLAUSE_END.finditer(text, 0, value.start)]
    end = _CLAUSE_END.search(text, value.end)
    return text[starts[-1] if starts else 0 : end.start() if end else len(text)]


def _concepts_said(question: Question, stems: set[str]) -> int:
    """How many of the question's words (`Question.concept_tokens`) are among `stems` (analysed tokens)."""
    return sum(1 for concept in question.concept_tokens if stems.intersection(concept))


def _label(text: str, value: Value) -> str:
    """The label a value follows in "label: value" (a table row's column, "Budget 2023: 8 M€"), or ""."""
    match = _LABELLED.search(text[: value.start])
    return match.group(1) if match else ""


def _lead(question: Question, value: Value, sentence: str) -> str:
    english = question.language == "en"
    text = value.text
    if english:
        text = _english_value(question, value)
    approximation = value.approximation
    if approximation:
        approximation = approximation_en(approximation) if english else approximation
        text = f"{approximation} {text}"
    frame = question.time_frame_words[0] if question.time_frame_words else ""  # when the sentence states it
    if frame and frame[-4:] in sentence and frame[-4:] not in text and value.kind != "date":
        text += f" {frame}"
    return text[0].upper() + text[1:]


def _english_value(question: Question, value: Value) -> str:
    """The value written the English way: "5 000" -> "5,000", "9,7" -> "9.7", "264 millions de dollars" -> "264
    million dollars", months in English; a count takes the question's own words for what it counts ("une
    vingtaine d'écoles" -> "about twenty schools")."""
    text = value.text
    share = SHARES.get(text.lower())
    if share:
        return share
    one_in = ONE_IN.fullmatch(text)
    if one_in:
        number = (one_in.group(1) or one_in.group(2)).lower()
        return f"one in {NUMBER_WORDS_EN.get(number, number)}"
    if value.kind == "duration":
        return _english_duration(text)
    numeral = APPROXIMATE.match(text)
    subject = question.subject if value.kind == "count" and _counts_subject(question, value) else ""
    if numeral:
        rest = subject or _counted(value)
        return f"{APPROXIMATE_NUMERALS[numeral.group(1).lower()]} {rest}".strip()
    number = re.match(_DIGITS, text)
    if number:
        digits = number.group().strip()
        english = _english_number(digits)
        rest = text[number.end() :].strip()
        magnitude = _MAGNITUDE.match(rest)
        scale = f"{_MAGNITUDES[magnitude.group(1).lower()]} " if magnitude else ""
        if value.kind == "count":
            # with its order of magnitude in English, a count of something else is said without its French noun
            rest = f"{scale}{subject}" if subject or magnitude else rest
        elif magnitude:  # an amount: "264 millions de dollars" -> "264 million dollars"
            rest = scale + re.sub(r"^(?:de\s+|d['’]\s*)", "", rest[magnitude.end() :].strip())
        text = f"{english} {rest}".strip() if value.kind != "percentage" else f"{english} %"
    for french, english_month in _MONTHS.items():
        text = re.sub(rf"\b{french}\b", english_month, text, flags=re.IGNORECASE)
    return text


_ORDERS = {"premi": "first", "derni": "last", "prochain": "next"}


def _english_number(digits: str) -> str:
    """ "5 000" -> "5,000", "9,7" -> "9.7"."""
    return re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3})", ",", digits.replace(",", "."))


def _english_duration(text: str) -> str:
    """A duration the English way: "trois ans" -> "three years", "18 mois" -> "18 months", "1 an" -> "1 year"."""
    parts = re.fullmatch(
        r"(.+?)\s*(?:(premi|derni|prochain)\w*\s+)?([^\W\d_]+)(\s+(?:et\s+demie?|and\s+a\s+half))?", text, re.IGNORECASE
    )
    if parts is None:
        return text
    number, order, unit, half = parts.groups()
    number = NUMBER_WORDS_EN.get(number.lower()) or _english_number(number)
    if order:  # "les 5 prochaines années" -> "the next 5 years"
        number = f"the {_ORDERS[order.lower()]} {number}"
    folded = fold(unit.lower())
    english = DURATION_UNITS_EN.get(folded) or DURATION_UNITS_EN.get(folded[:-1])  # "mois", or "ans" -> "an"
    if english is None:  # an English unit
        return text
    plural = "" if number.endswith((" 1", "one")) or number == "1" else "s"
    return f"{number} {english}{plural}{' and a half' if half else ''}"


def _counts_subject(question: Question, value: Value) -> bool:
    """Whether a count may be said with the question's words for what it counts: it counts nothing named, or
    what it counts is the question's subject or translates it, or the corpus has no word to check that with."""
    counted = set(tokenize(_counted(value))) & value.counted  # its noun, without an adjective before it
    return not counted or bool(counted & question.subject_tokens) or not question.subject_translated


def _counted(value: Value) -> str:
    """What a count counts, in its own words: "trois hôpitaux" -> "hôpitaux", "une vingtaine d'écoles" ->
    "écoles" ("" for a number alone or with its order of magnitude only: "1,6 million")."""
    head = APPROXIMATE.match(value.text) or _COUNT_HEAD.match(value.text)
    rest = value.text[head.end() :].strip() if head else value.text
    magnitude = _MAGNITUDE.match(rest)
    rest = rest[magnitude.end() :].strip() if magnitude else rest
    return re.sub(r"^(?:de\s+|d['’]\s*)", "", rest).strip()
