"""The question-answering engine: index + hybrid retriever + answerer, loaded once and shared by every face."""

from __future__ import annotations

import time

from langchain_core.runnables import Runnable, RunnableLambda

from docqa.answering import build_answerer
from docqa.question import profile
from docqa.retrieval import Evidence, HybridRetriever
from docqa.schema import Answer, Hit
from docqa.settings import Settings
from docqa.store import Index


class QA:
    """Answers questions and searches passages over one index.

    >>> qa = QA(Settings())                                   # doctest: +SKIP
    >>> qa.ask("Combien d'emplois d'ici 2025 ?").citations[0].doc_id  # doctest: +SKIP
    'aec-ia-industries-sante'
    """

    def __init__(self, settings: Settings, index: Index | None = None):
        self.settings = settings
        self.index = index or Index(settings)
        self.index.embedder.embed_query("warm-up")  # load the model now rather than at the first question
        if self.index.paraphrase_sentences is not None:  # and the paraphrase embedder's: a wrong one fails now
            self.index.paraphrase_sentences.embed_query("warm-up")
        self.retriever = HybridRetriever(index=self.index, k=settings.top_k)
        self.answerer = build_answerer(self.index, settings, self.retriever.scorer)

    def search(self, query: str, k: int | None = None, docs: list[str] | None = None) -> list[Hit]:
        """The `k` passages most relevant to `query`, best first, optionally only from documents `docs`."""
        query = self.retriever.check(query, k, docs)
        return self.retriever.search(query, k=k or self.settings.top_k, docs=docs)

    def retrieve(self, question: str, k: int | None = None, docs: list[str] | None = None) -> Evidence:
        """The question's profile, its `k` best passages and their scored sentences."""
        question = self.retriever.check(question, k, docs, what="question")
        k = k or self.settings.top_k
        return self.retriever.retrieve(profile(question), k, docs).top(k)

    def ask(self, question: str, k: int | None = None, docs: list[str] | None = None) -> Answer:
        """A cited answer to `question` from the `k` best passages (abstains when the reports do not say)."""
        started = time.perf_counter()
        evidence = self.retrieve(question, k=k, docs=docs)
        retrieved = time.perf_counter()
        answer = self.answerer.answer(evidence)
        answer.timings = timings(started, retrieved, time.perf_counter())
        return answer

    def chain(self) -> Runnable[str, Answer]:
        """The answer chain as a LangChain Runnable: `qa.chain().invoke("question")` -> `Answer`."""
        return RunnableLambda(self.ask, name="docqa")


def timings(started: float, retrieved: float, done: float) -> dict[str, float]:
    """What an answer took, in milliseconds, from `time.perf_counter` readings: retrieval, answering, in all."""
    return {
        "retrieve_ms": round((retrieved - started) * 1000, 1),
        "answer_ms": round((done - retrieved) * 1000, 1),
        "total_ms": round((done - started) * 1000, 1),
    }
