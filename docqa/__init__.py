"""docqa: cited answers to questions about a set of reports.

>>> from docqa import ask, search                      # doctest: +SKIP
>>> answer = ask("Combien d'emplois liés à l'IA en santé d'ici 2025 ?")  # doctest: +SKIP
>>> print(answer.answer, answer.citations[0].title, answer.citations[0].page)  # doctest: +SKIP
>>> [hit.doc_id for hit in search("Health Data Hub", k=3)]  # doctest: +SKIP
"""

from __future__ import annotations

import threading

from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.retrieval import HybridRetriever as Retriever
from docqa.schema import Answer, Citation, Hit
from docqa.settings import Settings, get_settings

__all__ = ["QA", "Answer", "Citation", "DocqaError", "Hit", "Retriever", "Settings", "ask", "get_qa", "search"]

_qa: QA | None = None
_lock = threading.Lock()


def get_qa() -> QA:
    """The process-wide engine, built on first use from the settings (index loaded once per process)."""
    global _qa
    with _lock:
        if _qa is None:
            _qa = QA(get_settings())
        return _qa


def ask(question: str, k: int | None = None, docs: list[str] | None = None) -> Answer:
    """Answer `question` with citations; `docs` limits the search to these document ids."""
    return get_qa().ask(question, k=k, docs=docs)


def search(query: str, k: int | None = None, docs: list[str] | None = None) -> list[Hit]:
    """The `k` passages most relevant to `query`, best first."""
    return get_qa().search(query, k=k, docs=docs)
