"""docqa: cited answers to questions about a set of reports.

>>> from docqa import ask, search                      # doctest: +SKIP
>>> answer = ask("Combien d'emplois liés à l'IA en santé d'ici 2025 ?")  # doctest: +SKIP
>>> print(answer.answer, answer.citations[0].title, answer.citations[0].page)  # doctest: +SKIP
>>> [hit.doc_id for hit in search("Health Data Hub", k=3)]  # doctest: +SKIP

The engine (`QA`, `Retriever`: Chroma, torch, LangChain) is imported on first use, so that importing a light
part (`docqa.errors`, `docqa.settings`) stays fast, e.g. for `docqa --help`.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docqa.errors import DocqaError
    from docqa.qa import QA
    from docqa.retrieval import HybridRetriever as Retriever
    from docqa.schema import Answer, Citation, Hit
    from docqa.settings import Settings

__all__ = [
    "QA",
    "Answer",
    "Citation",
    "DocqaError",
    "Hit",
    "Retriever",
    "Settings",
    "ask",
    "get_qa",
    "reader",
    "search",
]

_LAZY = {
    "QA": ("docqa.qa", "QA"),
    "Retriever": ("docqa.retrieval", "HybridRetriever"),
    "Answer": ("docqa.schema", "Answer"),
    "Citation": ("docqa.schema", "Citation"),
    "Hit": ("docqa.schema", "Hit"),
    "DocqaError": ("docqa.errors", "DocqaError"),
    "Settings": ("docqa.settings", "Settings"),
}
_engines: dict[str, QA] = {}
_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'docqa' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module), attribute)


def get_qa(settings: Settings | None = None) -> QA:
    """The process-wide engine for `settings` (default: the environment's), built on first use and shared by
    every face (Python API, HTTP API, MCP, chat, CLI), so that the model and the index are loaded once."""
    from docqa.qa import QA
    from docqa.settings import get_settings

    settings = settings or get_settings()
    key = settings.model_dump_json()
    with _lock:
        if key not in _engines:
            _engines[key] = QA(settings)
        return _engines[key]


def ask(question: str, k: int | None = None, docs: list[str] | None = None) -> Answer:
    """Answer `question` with citations; `docs` limits the search to these document ids."""
    return reader().ask(question, k=k, docs=docs)


def search(query: str, k: int | None = None, docs: list[str] | None = None) -> list[Hit]:
    """The `k` passages most relevant to `query`, best first."""
    return reader().search(query, k=k, docs=docs)


def reader() -> QA:
    """The engine of a function that only reads the index: `IndexMissingError` when its data folder does not exist
    (instead of an empty one created there, e.g. by a script run from another folder than the project's)."""
    from docqa.settings import get_settings
    from docqa.store import require_folder

    require_folder(get_settings())
    return get_qa()
