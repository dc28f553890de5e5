"""Conversations: the turns of a chat in, the standalone question to search and answer out.

A short follow-up leans on the question before it ("Et combien de multinationales ?", "et en 2030 ?",
"What about 2030?"): it is merged with the previous user question that stood on its own. Every face that
holds a conversation (HTTP `/v1/chat/completions` and `/ask` with `history`, `docqa chat`, the web chat) uses
this one function.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from docqa.errors import DocqaError

FOLLOW_UP_WORDS = 4  # a question of at most this many words leans on the previous one
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Turn:
    """One message of a conversation (system prompts and tool messages are not turns: they ask nothing)."""

    role: Literal["user", "assistant"]
    text: str


def words(text: str) -> int:
    """The number of words of `text` (an elided "d'" or "l'" is one), also docqa's rough token count.

    >>> words("Et combien de multinationales ?")
    4
    """
    return len(_WORD.findall(text))


def is_follow_up(question: str) -> bool:
    """Whether `question` is too short to stand on its own (at most `FOLLOW_UP_WORDS` words)."""
    return 0 < words(question) <= FOLLOW_UP_WORDS


def standalone_question(turns: Sequence[Turn]) -> str:
    """The last user turn as a question that stands on its own: itself, or, when it is a short follow-up,
    the previous user question that stood on its own (the first one always did) followed by it. Assistant
    turns are skipped.

    >>> standalone_question([Turn("user", "Combien d'emplois d'ici 2025 ?"), Turn("user", "Et en 2030 ?")])
    "Combien d'emplois d'ici 2025 ? Et en 2030 ?"
    >>> standalone_question([Turn("user", "Combien d'emplois ?"), Turn("user", "Quel budget pour le HDH en 2020 ?")])
    'Quel budget pour le HDH en 2020 ?'
    """
    asked = [t.text.strip() for t in turns if t.role == "user"]
    if not asked:
        raise DocqaError("the conversation has no user question")
    if not asked[-1]:  # not the question before it
        raise DocqaError("the question is empty")
    questions = [q for q in asked if q]
    question = questions[-1]
    if not is_follow_up(question):
        return question
    # the first question had nothing to lean on: it stood on its own, however short
    anchor = next((q for i, q in reversed(list(enumerate(questions[:-1]))) if i == 0 or not is_follow_up(q)), None)
    return f"{anchor} {question}" if anchor else question
