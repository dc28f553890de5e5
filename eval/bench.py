"""`python -m eval.bench [--scale 10,100] [--http 30]`: speed figures of docqa on corpus/, printed as a Markdown
table with absolute times on this machine and ratios to the naive LangChain + Chroma baseline (`eval/naive.py`:
`Chroma.from_documents` + `as_retriever()`, same embedder) measured in the same run.

- ingest: full cold ingest vs. the raw encoding time of the same texts (the floor) and vs. the naive build;
  unchanged re-ingest and one changed document (the naive baseline can only rebuild); throughput;
- query: retrieval and answer latency p50/p95 over the dev questions (warm); cold start to first answer and
  the peak memory of that process, for both;
- command line: `docqa --help`, argument errors and a whole `docqa ask`, each a new process;
- HTTP: requests/s, p50/p95 and errors of /search and /ask under 20 concurrent loopback clients;
- browser: time from opening the chat to the first answer (headless Chromium);
- scale: the corpus grown N times with copies of every chunk under new ids (embeddings copied, not recomputed:
  encoding is linear in the number of chunks and measured above) to show how query latency, index build and
  memory grow, with the naive retriever over the same chunks.
"""

from __future__ import annotations

import argparse
import os
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
from docqa.schema import Chunk, DocumentInfo
from docqa.settings import Settings, get_settings
from docqa.store import embedding_text
from docqa.text import sentence_spans
from eval.dataset import load_dataset
from eval.metrics import percentile
from eval.naive import NaiveQA
from eval.servers import chromium, free_port
from ingest.pipeline import document_info, find_files, ingest, prepare, read_manifest

DEV = Path(__file__).parent / "data" / "qa-dev.jsonl"


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def raw_encoding_seconds(settings: Settings) -> tuple[float, int, int]:
    """Time for the embedder alone to encode every chunk of the corpus and every sentence of those chunks
    (what ingest cannot go below), the number of chunks and of distinct sentences."""
    texts, sentences = [], {}
    files, _ = find_files([settings.corpus_dir])
    for path in files:
        info = document_info(path, read_manifest(path.parent), "")
        for chunk in prepare(path, info, settings):
            texts.append(embedding_text(info, chunk))
            sentences.update(dict.fromkeys(chunk.text[s:e] for s, e in sentence_spans(chunk.text)))
    embedder = get_embedder(settings.embedder)
    started = time.perf_counter()
    for batch in (texts, list(sentences)):
        for i in range(0, len(batch), settings.embed_batch_size):
            embedder.embed_documents(batch[i : i + settings.embed_batch_size])
    return time.perf_counter() - started, len(texts), len(sentences)


def latencies(engine, questions: list[str]) -> tuple[list[float], list[float]]:
    """Retrieval and full-answer latencies (ms) per question, after one warm-up question."""
    engine.retrieve(questions[0])
    retrieve, answer = [], []
    for question in questions:
        started = time.perf_counter()
        evidence = engine.retrieve(question)
        retrieved = time.perf_counter()
        engine.answerer.answer(evidence)
        retrieve.append((retrieved - started) * 1000)
        answer.append((time.perf_counter() - started) * 1000)
    return retrieve, answer


def run_process(settings: Settings, *args: str, returncode: int = 0) -> tuple[float, str]:
    """Wall time (s) and output of a new Python process running `args` with the settings' folders, which must
    exit with `returncode`."""
    env = {
        "DOCQA_DATA_DIR": str(settings.data_dir),
        "DOCQA_CORPUS_DIR": str(settings.corpus_dir),
        "DOCQA_EMBEDDER": settings.embedder,
        "PATH": "",
    }
    started = time.perf_counter()
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    if result.returncode != returncode:
        raise RuntimeError(f"{' '.join(args)} exited with {result.returncode}: {result.stderr[-2000:]}")
    return time.perf_counter() - started, result.stdout


def command_seconds(settings: Settings, *args: str, returncode: int = 0, runs: int = 3) -> float:
    """Median wall time (s) of `docqa ARGS` in a new process (`python -m app.cli`, what the `docqa` script runs)."""
    return statistics.median(
        run_process(settings, "-m", "app.cli", *args, returncode=returncode)[0] for _ in range(runs)
    )


# printed by a child process at its end: its peak resident memory in kB (the high-water mark of its own memory,
# which, unlike getrusage, does not count what the parent had before the exec)
_PEAK_RSS = "; print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"


def cold_start(settings: Settings, code: str) -> tuple[float, float]:
    """A fresh process runs `code` (imports, model load, index open or build, first answer): seconds, peak MB."""
    seconds, output = run_process(settings, "-c", f"from docqa.settings import Settings; {code}{_PEAK_RSS}")
    return seconds, int(output.split()[-1]) / 1024


def naive_retrieval_ms(settings: Settings, questions: list[str]) -> list[float]:
    """Latencies of plain `as_retriever()` over the chunks docqa stored in Chroma (the same collection)."""
    from langchain_chroma import Chroma

    from docqa.store import open_chroma

    store = Chroma(
        client=open_chroma(settings),
        collection_name=settings.collection,
        embedding_function=get_embedder(settings.embedder),
    )
    retriever = store.as_retriever(search_kwargs={"k": settings.top_k})
    retriever.invoke(questions[0])
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.invoke(question)
        times.append((time.perf_counter() - started) * 1000)
    return times


def grow(source: QA, target: QA, factor: int) -> float:
    """Fill `target` with `factor` copies of every chunk of `source` (new ids, same vectors); seconds taken."""
    data = source.index.chroma.read_all()
    vectors = source.index.chroma.embeddings(data.ids)
    started = time.perf_counter()
    for copy in range(factor):
        by_doc: dict[str, list[int]] = {}
        for i, meta in enumerate(data.metadatas):
            by_doc.setdefault(meta["doc_id"], []).append(i)
        for doc_id, rows in by_doc.items():
            meta = data.metadatas[rows[0]]
            info = DocumentInfo(doc_id=f"{doc_id}-{copy}", title=meta["title"], content_hash=f"copy{copy}")
            chunks = [
                Chunk(
                    id=f"{data.ids[i]}-{copy}",
                    doc_id=info.doc_id,
                    page=None,
                    start=0,
                    end=len(data.texts[i]),
                    text=data.texts[i],
                )
                for i in rows
            ]
            target.index.replace_document(info, chunks, [vectors[data.ids[i]].tolist() for i in rows])
    target.search("warm-up")  # builds the lexical index over every chunk
    target.index.sync_sentences()  # the copies' sentences are the source's: nothing to embed
    return time.perf_counter() - started


def server_env(settings: Settings) -> dict[str, str]:
    """The environment of a server process over the benchmark's index."""
    return {**os.environ, "DOCQA_DATA_DIR": str(settings.data_dir), "DOCQA_EMBEDDER": settings.embedder}


def http_load(settings: Settings, questions: list[str], seconds: float, clients: int = 20) -> list[str]:
    """Requests/s, p95 and errors of /search and /ask under `clients` concurrent loopback clients for
    `seconds` each (a `docqa serve` process on a free port)."""
    import json
    import threading
    import urllib.request

    port = free_port()
    env = server_env(settings)
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=30).read()
                break
            except OSError:
                time.sleep(0.5)
        for route, key in (("/search", "query"), ("/ask", "question")):
            latencies: list[float] = []
            errors = [0]
            stop = time.monotonic() + seconds

            def client(n: int, route: str, key: str, stop: float, latencies: list[float], errors: list[int]) -> None:
                i = n
                while time.monotonic() < stop:
                    body = json.dumps({key: questions[i % len(questions)]}).encode()
                    request = urllib.request.Request(
                        f"http://127.0.0.1:{port}{route}", body, {"content-type": "application/json"}
                    )
                    started = time.perf_counter()
                    try:
                        urllib.request.urlopen(request, timeout=60).read()
                        latencies.append((time.perf_counter() - started) * 1000)
                    except OSError:
                        errors[0] += 1
                    i += clients

            threads = [
                threading.Thread(target=client, args=(n, route, key, stop, latencies, errors)) for n in range(clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rows.append(
                row(
                    f"HTTP {route}, {clients} clients, {seconds:.0f} s",
                    f"{len(latencies) / seconds:.1f} req/s",
                    f"p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
                    f"{errors[0]} errors",
                )
            )
    finally:
        server.kill()
        server.wait(timeout=10)
    return rows


def browser_first_answer(settings: Settings, question: str) -> list[str]:
    """Time from opening the chat in headless Chromium to the answer of `question` on the page (a fresh
    Streamlit server, model load included; skipped without Debian's chromium and chromedriver)."""
    import shutil

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return [row("browser: time to first answer", "skipped", "needs Debian's chromium and chromium-driver")]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    port = free_port()
    env = server_env(settings)
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "web", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    driver = None
    try:
        time.sleep(3)
        driver = chromium(shutil.which("chromedriver"))
        wait = WebDriverWait(driver, 180)
        started = time.perf_counter()
        driver.get(f"http://127.0.0.1:{port}")
        box = wait.until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "textarea[data-testid='stChatInputTextArea']"))
        )
        page_ready = time.perf_counter() - started
        box.send_keys(question, Keys.ENTER)
        wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "[1]"))
        total = time.perf_counter() - started
    finally:
        if driver is not None:
            driver.quit()
        server.kill()
        server.wait(timeout=10)
    return [
        row(
            "browser: time to first answer",
            f"{total:.1f} s",
            f"from opening the page ({page_ready:.1f} s until the chat is ready, model load included)",
        )
    ]


def row(name: str, value: str, note: str = "") -> str:
    return f"| {name} | {value} | {note} |"


def main(scales: list[int], http_seconds: float) -> None:
    base = get_settings()
    work = Path(tempfile.mkdtemp(prefix="docqa-bench-"))
    lines = ["| measure | docqa | notes |", "|---|---|---|"]
    try:
        corpus = work / "corpus"
        shutil.copytree(base.corpus_dir, corpus)
        settings = base.model_copy(update={"data_dir": work / "data", "corpus_dir": corpus})
        get_embedder(settings.embedder)  # model load is not part of ingest time
        encode_s, n_chunks, n_sentences = raw_encoding_seconds(settings)
        qa = QA(settings)
        cold_s, report = timed(ingest, [corpus], qa.index, settings)
        again_s, _ = timed(ingest, [corpus], qa.index, settings)
        again_cli_s, _ = run_process(settings, "-m", "app.cli", "ingest")
        changed = next(corpus.glob("ia-emploi-sante-note.*"))
        changed.write_text(changed.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
        one_s, _ = timed(ingest, [corpus], qa.index, settings)
        naive_s, naive = timed(NaiveQA, settings)

        questions = [q.question for q in load_dataset(DEV)]
        retrieve, answer = latencies(qa, questions)
        naive_retrieve, naive_answer = latencies(naive, questions)
        start_s, start_mb = cold_start(settings, "from docqa.qa import QA; QA(Settings()).ask('emplois en 2025')")
        # the naive baseline's index lives in memory: it is built at every start
        naive_start_s, naive_start_mb = cold_start(
            settings, "from eval.naive import NaiveQA; NaiveQA(Settings()).search('emplois en 2025')"
        )
        help_s = command_seconds(settings, "--help")
        empty_s = command_seconds(settings, "ask", "", returncode=1)
        option_s = command_seconds(settings, "ask", "--no-such-option", "x", returncode=2)
        ask_s = command_seconds(settings, "ask", questions[0])
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        def versus(ours: float, theirs: float, unit: str, what: str = "naive") -> str:
            return f"{what} {theirs:.{0 if unit == 'ms' else 1}f} {unit}, ratio {ours / max(theirs, 1e-3):.2f}"

        lines += [
            row(
                "embedder",
                settings.embedder,
                f"{n_chunks} chunks + {n_sentences} sentences (re-ranking), {encode_s:.1f} s raw encoding",
            ),
            row(
                "full ingest (cold)",
                f"{cold_s:.1f} s",
                f"{cold_s / encode_s:.2f}x raw encoding of chunks and sentences; "
                + versus(cold_s, naive_s, "s", "naive Chroma.from_documents"),
            ),
            row("ingest throughput", f"{n_chunks / cold_s:.0f} chunks/s", f"naive {n_chunks / naive_s:.0f} chunks/s"),
            row(
                "unchanged re-ingest",
                f"{again_s:.2f} s",
                "content hashes: nothing re-embedded; `docqa ingest` in a new process "
                f"{again_cli_s:.1f} s; the naive baseline has no incremental mode: "
                + versus(again_s, naive_s, "s", "rebuilding it"),
            ),
            row(
                "one changed document",
                f"{one_s:.2f} s",
                "only its chunks re-embedded; " + versus(one_s, naive_s, "s", "naive rebuild"),
            ),
            row(
                "retrieval p50 / p95",
                f"{percentile(retrieve, 50):.0f} / {percentile(retrieve, 95):.0f} ms",
                "hybrid + sentence re-ranking; naive as_retriever p50 / p95 "
                f"{percentile(naive_retrieve, 50):.0f} / {percentile(naive_retrieve, 95):.0f} ms, ratio "
                f"{percentile(retrieve, 50) / max(percentile(naive_retrieve, 50), 1e-3):.1f}",
            ),
            row(
                "extractive answer p50 / p95 (retrieval included)",
                f"{percentile(answer, 50):.0f} / {percentile(answer, 95):.0f} ms",
                "warm; naive (top passage as the answer) "
                f"{percentile(naive_answer, 50):.0f} / {percentile(naive_answer, 95):.0f} ms",
            ),
            row(
                "cold start to first answer",
                f"{start_s:.1f} s",
                "new process: imports, model, index; "
                + versus(start_s, naive_start_s, "s", "naive (rebuilds its index)"),
            ),
            row("`docqa --help`", f"{help_s:.2f} s", "a new process, median of 3; target < 1 s"),
            row(
                "argument error",
                f"{max(empty_s, option_s):.2f} s",
                f'`docqa ask ""` {empty_s:.2f} s, an unknown option {option_s:.2f} s (medians of 3); target < 1 s',
            ),
            row(
                "`docqa ask` (a whole command)",
                f"{ask_s:.1f} s",
                "a new process: imports, model, index, the answer printed (median of 3)",
            ),
            row(
                "peak RSS",
                f"{start_mb:.0f} MB",
                f"cold-start process; {versus(start_mb, naive_start_mb, 'MB')}; this benchmark process {rss_mb:.0f} MB",
            ),
        ]
        if http_seconds:
            lines += http_load(settings, questions, http_seconds)
        lines += browser_first_answer(settings, questions[0])
        for factor in scales:
            grown_settings = settings.model_copy(update={"data_dir": work / f"x{factor}"})
            shutil.copytree(settings.data_dir / "sentences", grown_settings.data_dir / "sentences")
            grown = QA(grown_settings)
            build_s = grow(qa, grown, factor)
            g_retrieve, g_answer = latencies(grown, questions[:15])
            g_naive = percentile(naive_retrieval_ms(grown_settings, questions[:15]), 50)
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            lines.append(
                row(
                    f"scale x{factor} ({grown.index.count()} chunks)",
                    f"retrieval p50 {percentile(g_retrieve, 50):.0f} ms",
                    f"naive as_retriever over the same chunks {g_naive:.0f} ms; answer p50 "
                    f"{percentile(g_answer, 50):.0f} ms; store + lexical index built in {build_s:.0f} s "
                    f"(embedding excluded: {factor * encode_s:.0f} s at the measured rate); peak RSS {rss_mb:.0f} MB",
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert report.ok
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="10", help="comma-separated growth factors, e.g. 10,100 (0: none)")
    parser.add_argument("--http", type=float, default=30, help="seconds of HTTP load per route (0: none)")
    args = parser.parse_args()
    main([int(f) for f in args.scale.split(",") if int(f) > 0], args.http)
