"""`python -m eval.bench`: speed figures of docqa on corpus/ (absolute times on this machine and ratios).

- ingest: full cold ingest vs. the raw encoding time of the same texts by the same model (the floor), unchanged
  re-ingest, one changed document;
- query: retrieval and answer latency p50/p95 over the dev questions (warm), cold start to first answer;
- peak RSS of this process.
"""

from __future__ import annotations

import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docqa.embeddings import get_embedder
from docqa.qa import QA
from docqa.settings import Settings, get_settings
from eval.dataset import load_dataset
from eval.metrics import percentile
from ingest.pipeline import document_info, embedding_text, find_files, ingest, prepare, read_manifest

DEV = Path(__file__).parent / "data" / "qa-dev.jsonl"


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def raw_encoding_seconds(settings: Settings) -> tuple[float, int]:
    """Time for the embedder alone to encode every chunk of the corpus (what ingest cannot go below)."""
    texts = []
    files, _ = find_files([settings.corpus_dir])
    for path in files:
        info = document_info(path, read_manifest(path.parent), "")
        texts += [embedding_text(info, chunk) for chunk in prepare(path, info, settings)]
    embedder = get_embedder(settings.embedder)
    started = time.perf_counter()
    for i in range(0, len(texts), settings.embed_batch_size):
        embedder.embed_documents(texts[i : i + settings.embed_batch_size])
    return time.perf_counter() - started, len(texts)


def main() -> None:
    base = get_settings()
    work = Path(tempfile.mkdtemp(prefix="docqa-bench-"))
    try:
        corpus = work / "corpus"
        shutil.copytree(base.corpus_dir, corpus)
        settings = base.model_copy(update={"data_dir": work / "data", "corpus_dir": corpus})
        get_embedder(settings.embedder)  # model load is not part of ingest time
        encode_s, n_chunks = raw_encoding_seconds(settings)
        qa = QA(settings)
        cold_s, report = timed(ingest, [corpus], qa.index, settings)
        again_s, _ = timed(ingest, [corpus], qa.index, settings)
        changed = next(corpus.glob("ia-emploi-sante-note.*"))
        changed.write_text(changed.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
        one_s, _ = timed(ingest, [corpus], qa.index, settings)

        questions = [q.question for q in load_dataset(DEV)]
        qa.ask(questions[0])  # warm-up
        retrieve, answer = [], []
        for question in questions:
            result = qa.ask(question)
            retrieve.append(result.timings["retrieve_ms"])
            answer.append(result.timings["total_ms"])
        cold_start = cold_start_seconds(settings)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("embedder", settings.embedder, ""),
        ("chunks", str(n_chunks), f"{n_chunks / encode_s:.0f} chunks/s raw encoding"),
        ("full ingest (cold)", f"{cold_s:.1f} s", f"{cold_s / encode_s:.2f}x raw encoding ({encode_s:.1f} s)"),
        ("unchanged re-ingest", f"{again_s:.2f} s", ""),
        ("one changed document", f"{one_s:.2f} s", ""),
        ("retrieval p50 / p95", f"{percentile(retrieve, 50):.0f} / {percentile(retrieve, 95):.0f} ms", ""),
        ("ask p50 / p95 (warm)", f"{percentile(answer, 50):.0f} / {percentile(answer, 95):.0f} ms", ""),
        ("cold start to first answer", f"{cold_start:.1f} s", "new process: imports, model, index"),
        ("peak RSS", f"{rss_mb:.0f} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>14}  {note}")
    assert report.ok and statistics.fmean(answer) > 0


def cold_start_seconds(settings: Settings) -> float:
    """A fresh process asks one question: imports, model load, index open, first answer."""
    code = "from docqa.qa import QA; from docqa.settings import Settings; QA(Settings()).ask('emplois en 2025')"
    env = {"DOCQA_DATA_DIR": str(settings.data_dir), "DOCQA_EMBEDDER": settings.embedder, "PATH": ""}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
