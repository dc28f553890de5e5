"""What every answerer is: `answer(evidence) -> Answer` (and `stream`), and how an abstention reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from docqa.schema import Answer

if TYPE_CHECKING:
    from docqa.retrieval import Evidence

ABSTENTION = {
    "fr": "Les rapports ne permettent pas de répondre à cette question.",
    "en": "The reports do not answer this question.",
}


class Answerer(Protocol):
    """Answers a question from its retrieved evidence, with citations, or abstains."""

    name: str

    def answer(self, evidence: Evidence) -> Answer: ...


def abstention(evidence: Evidence, answerer: str, reason: str = "") -> Answer:
    """The answer that says the reports do not answer (with the closest passages kept for the faces)."""
    question = evidence.question
    return Answer(
        question=question.text,
        answer=ABSTENTION[question.language],
        abstained=True,
        hits=evidence.hits,
        language=question.language,
        answerer=answerer,
        notes=[reason] if reason else [],
    )
