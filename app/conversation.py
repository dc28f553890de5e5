"""Follow-up questions in the web chat: docqa's conversation module (`docqa/conversation.py`) over the user's
previous questions."""

from __future__ import annotations

from docqa.conversation import Turn, standalone_question


def retrieval_query(question: str, previous: list[str]) -> str:
    """The question to search for: the question itself, or, when it is a short follow-up that leans on the
    previous question ("et en 2030 ?", "and for startups?"), the previous question followed by it.

    >>> retrieval_query("Et en 2030 ?", ["Combien d'emplois d'ici 2025 ?"])
    "Combien d'emplois d'ici 2025 ? Et en 2030 ?"
    """
    if not question.strip():
        return question  # the engine reports the empty question
    return standalone_question([*(Turn("user", p) for p in previous), Turn("user", question)])
