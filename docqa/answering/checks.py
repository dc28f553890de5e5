"""Named checks an extractive answer must pass, else docqa abstains. Each has its switch or parameter in
Settings (`check_*`) and its own unit test; `python -m eval.fit` reports what each one changes."""

from __future__ import annotations

from docqa.question import Question
from docqa.schema import Hit
from docqa.scoring import ScoredSentence
from docqa.settings import Settings
from docqa.values import find_values


def time_frame_stated(question: Question, chosen: list[ScoredSentence], hits: list[Hit]) -> str:
    """The years the question sets as its frame ("en 2024", "d'ici 2030") are in the passage the answer quotes
    first: a figure for 2020 does not answer a question about 2024."""
    passage = hits[chosen[0].hit].text
    missing = [year for year in question.time_frame if year not in passage]
    return f"the passage does not speak of {', '.join(missing)}" if missing else ""


def value_stated(question: Question, chosen: list[ScoredSentence]) -> str:
    """A question asking for a count, an amount, a percentage, a date or a duration gets an answer that
    states one."""
    if not question.wants_value:
        return ""
    stated = any(find_values(question.answer_type, c.text, question) for c in chosen)
    return "" if stated else f"the passages state no {question.answer_type}"


def failed_check(
    question: Question,
    chosen: list[ScoredSentence],
    hits: list[Hit],
    settings: Settings,
) -> str:
    """The reason of the first check the answer fails ("" when it passes them all)."""
    if settings.check_time_frame and (reason := time_frame_stated(question, chosen, hits)):
        return reason
    if settings.check_value and (reason := value_stated(question, chosen)):
        return reason
    return ""
