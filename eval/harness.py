"""Evaluate one configuration: build (or reuse) its index, run the dataset, summarise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from docqa.qa import QA
from docqa.settings import Settings
from eval.configs import corpus_hash, resolve
from eval.dataset import Question
from eval.naive import CHUNK_SIZE, NaiveQA
from eval.runner import Result, run, summarize
from ingest.pipeline import ingest

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def run_config(
    spec: str, base: Settings, questions: list[Question], progress: Progress | None = None
) -> tuple[list[Result], dict]:
    """Results and summary (`metrics` + `config`) of configuration `spec` on `questions`."""
    name, settings = resolve(spec, base)
    if name == "naive":
        engine = NaiveQA(settings)
    else:
        engine = QA(settings)
        report = ingest(
            [settings.corpus_dir],
            engine.index,
            settings,
            progress=(lambda stage, done, total: progress(f"{name}: {stage}", done, total)) if progress else None,
        )
        if not report.ok:
            raise RuntimeError(f"{name}: nothing could be indexed from {settings.corpus_dir}")
    results = run(
        questions, engine, (lambda done, total: progress(f"{name}: questions", done, total)) if progress else None
    )
    config = {
        "name": name,
        "embedder": settings.embedder,
        "chunk_size": CHUNK_SIZE if name == "naive" else settings.chunk_size,
        "chunk_overlap": 0 if name == "naive" else settings.chunk_overlap,
        "retrieval": "chroma-as-retriever" if name == "naive" else _retrieval(settings),
        "top_k": settings.top_k,
        "answerer": engine.answerer.name,
        "corpus_hash": corpus_hash(settings.corpus_dir),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return results, {"metrics": summarize(results), "config": config}


def _retrieval(settings: Settings) -> str:
    parts = [name for name, weight in (("bm25", settings.lexical_weight), ("dense", settings.dense_weight)) if weight]
    rerank = f"+rerank{settings.rerank_candidates}" if settings.rerank_candidates else ""
    return "+".join(parts) + rerank
