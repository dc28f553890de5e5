"""Named checks an extractive answer must pass, else docqa abstains. Each has its switch or parameter in
Settings (`check_*`) and its own unit test; `python -m eval.fit` reports what each one changes."""

from __future__ import annotations

import re

from docqa.question import Question
from docqa.schema import Hit
from docqa.scoring import ScoredSentence, acronym_written
from docqa.settings import Settings
from docqa.text import fold, join_acronyms, terms, tokenize
from docqa.values import QUANTITIES, find_values

# why an answer was declined, in the question's language (shown to the user as a note)
_REASONS = {
    "fr": {
        "time": "le passage ne parle pas de {}",
        "value": "les passages ne donnent pas de {}",
        "counted": "les citations ne nomment pas {}",
        "names": "les pages citées ne nomment pas {}",
        "unknown": "aucun rapport ne nomme {}",
    },
    "en": {
        "time": "the passage does not speak of {}",
        "value": "the passages state no {}",
        "counted": "the quotes do not name {}",
        "names": "the cited pages do not name {}",
        "unknown": "the reports never mention {}",
    },
}
_TYPE_NAMES = {
    "fr": {"count": "nombre", "amount": "montant", "percentage": "pourcentage", "date": "date", "duration": "durée"},
    "en": {"count": "count", "amount": "amount", "percentage": "percentage", "date": "date", "duration": "duration"},
}


def _reason(question: Question, check: str, what: str) -> str:
    language = question.language if question.language in _REASONS else "en"
    return _REASONS[language][check].format(what)


def _as_written(question: Question, name: str) -> str:
    """A name of the question as the question writes it (its names are kept folded: "allemagne" -> "Allemagne")."""
    return next((w for w in re.findall(r"[\w-]+", question.text) if fold(w) == fold(name)), name)


def time_frame_stated(question: Question, chosen: list[ScoredSentence], hits: list[Hit], before: int) -> str:
    """The years the question sets as its frame ("en 2024", "d'ici 2030") are stated by the quotes from the
    first cited passage or in the `before` characters that precede the first quote (its context): a figure
    for 2016 does not answer a question about 2024."""
    first = chosen[0]
    context = hits[first.hit].text[max(0, first.start - before) : first.start]
    said = " ".join([context] + [c.text for c in chosen if c.hit == first.hit])
    missing = [year for year in question.time_frame if year not in said]
    return _reason(question, "time", ", ".join(missing)) if missing else ""


def value_stated(question: Question, chosen: list[ScoredSentence]) -> str:
    """A question asking for a count, an amount, a percentage, a date or a duration gets an answer that
    states one; for a quantity, any kind of quantity (how much a market weighs may be said as an amount or as a
    count, a rise as a percentage): the answer type read from the question's words is a guess, which the
    sentence selector weighs, not a rule."""
    if not question.wants_value:
        return ""
    kinds = QUANTITIES if question.answer_type in QUANTITIES else (question.answer_type,)
    stated = any(find_values(kind, c.text, question) for c in chosen for kind in kinds)
    language = question.language if question.language in _TYPE_NAMES else "en"
    return "" if stated else _reason(question, "value", _TYPE_NAMES[language][question.answer_type])


def counted_stated(question: Question, chosen: list[ScoredSentence]) -> str:
    """A count question's quotes name what it counts (`Question.counted`: in its own words or in corpus words
    near them): a count of working groups does not answer "combien de signalements"."""
    if not question.counted:
        return ""
    said = set().union(*(tokenize(c.text) + tokenize(c.text.replace("-", "")) for c in chosen))  # "start-up"
    return "" if said & question.counted else _reason(question, "counted", question.subject)


def names_stated(question: Question, context: str) -> str:
    """Every distinctive name of the question (`Question.distinctive`: "Samsung", "Allemagne", not a document's
    nor a word of the topic) is written on the pages the answer quotes or by their documents' titles and
    publishers (`context`): a passage about Philips does not answer a question about Samsung. An acronym is found
    in any case ("INRIA" as "Inria"); another name as a word, by its stems, or by a corpus word that translates
    it."""
    text = join_acronyms(context)
    lines = [(line, fold(line)) for line in text.splitlines()]
    missing = []
    for name, translations in question.distinctive:
        if name.isupper():
            found = acronym_written(name, text, any_case=True, reordered=question.language == "en")
        else:  # only the lines that hold one of its forms are analysed (a page can be long)
            own = set(tokenize(name))
            forms = {fold(name), *own, *translations}
            holding = " ".join(line for line, folded in lines if any(f in folded for f in forms))
            stems = set(tokenize(holding))
            found = fold(name) in terms(holding) or own <= stems or bool(stems.intersection(translations))
            found = found or _in_two_words(fold(name), lines)
        if not found:
            missing.append(_as_written(question, name))
    return _reason(question, "names", ", ".join(missing)) if missing else ""


def names_known(question: Question) -> str:
    """The question names nothing that no document writes (`Question.unknown`: "Leverkusen", "Québec"): the
    reports cannot say what such a thing does. Not read for a paraphrase, whose names may be periphrases ("le
    géant de Redmond")."""
    missing = [_as_written(question, name) for name in question.unknown]
    return _reason(question, "unknown", ", ".join(missing)) if missing else ""


def _in_two_words(name: str, lines: list[tuple[str, str]]) -> bool:
    """Whether a (folded) name is written as two words on a line ("Bpifrance" as "BPI France")."""
    for _, folded in lines:
        pairs = _TWO_WORDS.findall(folded)
        if any(a + b == name for a, b in pairs):
            return True
    return False


_TWO_WORDS = re.compile(r"(?=\b(\w+)\s+(\w+)\b)")  # every two words one space apart (overlapping)


def failed_check(
    question: Question,
    chosen: list[ScoredSentence],
    hits: list[Hit],
    settings: Settings,
    context: str,
) -> str:
    """The reason of the first check the answer fails ("" when it passes them all); `context`: the text of the
    pages the answer quotes, with their documents' titles and publishers."""
    if settings.check_time_frame and (
        reason := time_frame_stated(question, chosen, hits, settings.time_frame_context_chars)
    ):
        return reason
    if settings.check_value and (reason := value_stated(question, chosen)):
        return reason
    if settings.check_counted and (reason := counted_stated(question, chosen)):
        return reason
    if settings.check_names and (reason := names_stated(question, context)):
        return reason
    return ""
