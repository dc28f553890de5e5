"""Follow-up questions: an elliptic question ("et en 2030 ?") is searched together with the previous one."""

from __future__ import annotations

import re

_FOLLOW_UP = re.compile(r"^(et|mais|and|what about|how about|pour|en|dans|selon|idem|même)\b", re.IGNORECASE)


def retrieval_query(question: str, previous: list[str]) -> str:
    """The question to search for: the question itself, or, when it is a short follow-up that leans on the
    previous question ("et en 2030 ?", "and for startups?"), the previous question followed by it.

    >>> retrieval_query("Et en 2030 ?", ["Combien d'emplois d'ici 2025 ?"])
    "Combien d'emplois d'ici 2025 ? Et en 2030 ?"
    >>> retrieval_query("Combien de startups en France ?", ["Combien d'emplois d'ici 2025 ?"])
    'Combien de startups en France ?'
    """
    question = question.strip()
    if not previous:
        return question
    words = question.split()
    if len(words) <= 4 or (len(words) <= 8 and _FOLLOW_UP.match(question)):
        return f"{previous[-1]} {question}"
    return question
