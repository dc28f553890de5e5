"""Run a dataset through docqa and score every question."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from pydantic import BaseModel

from docqa.qa import QA
from eval import metrics
from eval.dataset import Question


class Result(BaseModel):
    """One question's answer and scores."""

    id: str
    kind: str
    question: str
    answerable: bool
    answer: str
    abstained: bool
    citations: list[dict]
    passages: list[dict]
    evidence_rank: int | None
    source_rank: int | None
    fact_recall_at_5: bool
    fact_accuracy: bool
    correct: bool  # all facts in the answer when answerable, an abstention when not
    source_cited: bool  # a citation comes from an expected document
    citation_validity: bool
    citation_support: bool
    answer_chars: int
    retrieve_ms: float
    answer_ms: float


def evaluate(question: Question, qa: QA, k: int = 10) -> Result:
    """Retrieve the top `k` passages (retrieval metrics), answer from the top `top_k` (answer metrics)."""
    started = time.perf_counter()
    evidence = qa.retrieve(question.question, k=k)
    retrieved = time.perf_counter()
    answer = qa.answerer.answer(evidence.top(qa.settings.top_k))
    done = time.perf_counter()
    hits = evidence.hits
    evidence_rank = metrics.first_rank([metrics.contains_evidence(question.evidence, h.text) for h in hits])
    source_rank = metrics.first_rank([h.doc_id in question.sources for h in hits])
    top5 = " ".join(h.text for h in hits[:5])
    cited = " ".join(c.passage or c.quote for c in answer.citations)
    return Result(
        id=question.id,
        kind=question.kind,
        question=question.question,
        answerable=question.answerable,
        answer=answer.answer,
        abstained=answer.abstained,
        citations=[c.model_dump(exclude={"passage"}) for c in answer.citations],
        passages=[h.model_dump(include={"doc_id", "page", "score", "text"}) for h in hits[:5]],
        evidence_rank=evidence_rank,
        source_rank=source_rank,
        fact_recall_at_5=metrics.contains_all_facts(question.facts, top5),
        fact_accuracy=not answer.abstained and metrics.contains_all_facts(question.facts, answer.answer),
        correct=(
            not answer.abstained and metrics.contains_all_facts(question.facts, answer.answer)
            if question.answerable
            else answer.abstained
        ),
        source_cited=any(c.doc_id in question.sources for c in answer.citations),
        citation_validity=metrics.citations_valid(answer, question.sources),
        citation_support=bool(answer.citations) and metrics.contains_all_facts(question.facts, cited),
        answer_chars=len(answer.answer),
        retrieve_ms=(retrieved - started) * 1000,
        answer_ms=(done - retrieved) * 1000,
    )


def run(questions: list[Question], qa: QA, progress: Callable[[int, int], None] | None = None) -> list[Result]:
    results = []
    for n, question in enumerate(questions, start=1):
        results.append(evaluate(question, qa))
        if progress:
            progress(n, len(questions))
    return results


def by_kind(results: list[Result]) -> dict[str, dict[str, float]]:
    """`summarize` for each question kind."""
    kinds = sorted({r.kind for r in results})
    return {kind: summarize([r for r in results if r.kind == kind]) for kind in kinds}


def summarize(results: list[Result]) -> dict[str, float]:
    """Flat metrics over a run (retrieval and answer metrics over answerable questions)."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    abstained = [r for r in results if r.abstained]

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 4) if values else 0.0

    latencies = [r.retrieve_ms + r.answer_ms for r in results]
    return {
        "n_questions": len(results),
        "overall_accuracy": mean([float(r.correct) for r in results]),
        "wrong_abstention": mean([float(r.abstained) for r in answerable]),
        "source_cited": mean([float(r.source_cited) for r in answerable]),
        "hit_at_1": mean([metrics.hit_at(r.evidence_rank, 1) for r in answerable]),
        "hit_at_5": mean([metrics.hit_at(r.evidence_rank, 5) for r in answerable]),
        "hit_at_10": mean([metrics.hit_at(r.evidence_rank, 10) for r in answerable]),
        "source_hit_at_5": mean([metrics.hit_at(r.source_rank, 5) for r in answerable]),
        "mrr": mean([metrics.reciprocal_rank(r.evidence_rank) for r in answerable]),
        "fact_recall_at_5": mean([float(r.fact_recall_at_5) for r in answerable]),
        "answer_fact_accuracy": mean([float(r.fact_accuracy) for r in answerable]),
        "citation_validity": mean([float(r.citation_validity) for r in answerable]),
        "citation_support": mean([float(r.citation_support) for r in answerable]),
        "abstention_recall": mean([float(r.abstained) for r in unanswerable]),
        "abstention_precision": mean([float(not r.answerable) for r in abstained]) if abstained else 1.0,
        "abstention_accuracy": mean([float(r.abstained != r.answerable) for r in results]),
        "answer_chars_median": statistics.median([r.answer_chars for r in answerable]) if answerable else 0,
        "latency_p50_ms": round(metrics.percentile(latencies, 50), 1),
        "latency_p95_ms": round(metrics.percentile(latencies, 95), 1),
        "retrieve_p50_ms": round(metrics.percentile([r.retrieve_ms for r in results], 50), 1),
        "retrieve_p95_ms": round(metrics.percentile([r.retrieve_ms for r in results], 95), 1),
        "answer_p50_ms": round(metrics.percentile([r.answer_ms for r in results], 50), 1),
        "answer_p95_ms": round(metrics.percentile([r.answer_ms for r in results], 95), 1),
    }
