"""Several processes over one index folder: `docqa serve --workers 2` (each worker sees what another changed, no
upload is lost, the index stays consistent), and processes writing in turn, which used to corrupt the index."""

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from docqa.schema import DocumentInfo, Page
from docqa.settings import Settings
from docqa.store import Index
from ingest.chunking import chunk_pages
from ingest.pipeline import ingest
from tests.docqa.test_store import TinyEmbeddings
from tests.faults.test_faults import REPO, assert_consistent, write_corpus
from tests.faults.test_server import asking_meanwhile, serving

pytestmark = [pytest.mark.server, pytest.mark.slow]
WORKER = "x-docqa-worker"
NOTE = "Le consortium Zorglub {n} héberge des données de santé pour la recherche."


@pytest.fixture
def data(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    ingest([write_corpus(tmp_path / "corpus", documents=1, sentences=20)], Index(settings), settings)
    return settings.data_dir


def each_worker(send, seconds: float = 120) -> dict[str, httpx.Response]:
    """One response of each of the two workers to `send()` (a request on a new connection, which the system
    hands to either listening worker), by worker; a worker listens once its engine is loaded."""
    answered: dict[str, httpx.Response] = {}
    deadline = time.monotonic() + seconds
    while len(answered) < 2 and time.monotonic() < deadline:
        response = send()
        assert response.status_code == 200, response.text
        answered.setdefault(response.headers[WORKER], response)
    assert len(answered) == 2, f"only worker(s) {sorted(answered)} answered in {seconds} s"
    return answered


def test_every_worker_serves_an_upload_and_none_serves_it_once_deleted(data):
    with serving(data, DOCQA_SERVE_WORKERS="2") as (base, _, process):
        health = each_worker(lambda: httpx.get(f"{base}/health", timeout=60))
        [before] = {response.json()["chunks"] for response in health.values()}
        assert process.pid not in {int(worker) for worker in health}  # the parent only supervises
        # connections opened together, kept open (a pool): spread over both workers
        pool = [httpx.Client(base_url=base, timeout=60) for _ in range(16)]
        with ThreadPoolExecutor(16) as opening:
            answered = list(opening.map(lambda client: client.get("/health").headers[WORKER], pool))
        assert len(set(answered)) == 2, answered
        for client in pool:
            client.close()

        def search() -> httpx.Response:
            return httpx.post(f"{base}/search", json={"query": "consortium Zorglub", "k": 3}, timeout=60)

        def ask() -> httpx.Response:
            return httpx.post(f"{base}/ask", json={"question": "Qui héberge des données, Zorglub ?"}, timeout=60)

        added = httpx.post(f"{base}/documents", files={"file": ("zorglub.txt", NOTE.format(n=0).encode())}, timeout=120)
        assert added.status_code == 201, added.text
        for worker, response in each_worker(search).items():
            assert response.json()["hits"][0]["doc_id"] == "zorglub", worker
        for worker, response in each_worker(ask).items():
            assert response.json()["citations"][0]["doc_id"] == "zorglub", worker

        assert httpx.delete(f"{base}/documents/zorglub", timeout=120).status_code == 200
        for worker, response in each_worker(search).items():
            assert "zorglub" not in {hit["doc_id"] for hit in response.json()["hits"]}, worker
        for worker, response in each_worker(lambda: httpx.get(f"{base}/documents", timeout=60)).items():
            assert [d["doc_id"] for d in response.json()] == ["doc0"], worker
        assert {r.json()["chunks"] for r in each_worker(lambda: httpx.get(f"{base}/health")).values()} == {before}


def test_concurrent_uploads_and_deletions_on_two_workers_all_land(data):
    def upload(n: int) -> httpx.Response:
        note = (f"note{n}.txt", NOTE.format(n=n).encode())
        return httpx.post(f"{base}/documents", files={"file": note}, timeout=120)

    def delete(n: int) -> httpx.Response:
        return httpx.delete(f"{base}/documents/note{n}", timeout=120)

    with serving(data, DOCQA_SERVE_WORKERS="2") as (base, _, _), asking_meanwhile(base) as failures:
        [before] = {r.json()["chunks"] for r in each_worker(lambda: httpx.get(f"{base}/health", timeout=60)).values()}
        uploaded, writers = [], set()
        with ThreadPoolExecutor(4) as pool:
            while len(writers) < 2 and len(uploaded) < 24:  # until both workers have written (rounds of 4)
                responses = list(pool.map(upload, range(len(uploaded), len(uploaded) + 4)))
                assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
                uploaded += responses
                writers |= {r.headers[WORKER] for r in responses}
        assert len(writers) == 2
        notes = {f"note{n}" for n in range(len(uploaded))}
        for worker, response in each_worker(lambda: httpx.get(f"{base}/documents", timeout=60)).items():
            documents = {d["doc_id"]: d["chunks"] for d in response.json()}
            assert set(documents) == {"doc0", *notes}, worker  # no upload lost
            health = httpx.get(f"{base}/health", timeout=60)
            assert sum(documents.values()) == health.json()["chunks"] == before + len(notes)

        with ThreadPoolExecutor(4) as pool:
            deleted = list(pool.map(delete, range(0, len(uploaded), 2)))  # half of them
        assert [r.status_code for r in deleted] == [200] * len(deleted)
        kept = {f"note{n}" for n in range(1, len(uploaded), 2)}
        for worker, response in each_worker(lambda: httpx.get(f"{base}/documents", timeout=60)).items():
            assert {d["doc_id"] for d in response.json()} == {"doc0", *kept}, worker
    assert not failures  # answered throughout
    index = Index(Settings(data_dir=data))
    assert_consistent(index)
    assert index.count() == before + len(kept)
    assert sorted(p.stem for p in (data / "uploads").iterdir()) == sorted(kept)


def test_a_worker_that_dies_is_replaced_and_the_others_answer_meanwhile(data):
    with serving(data, DOCQA_SERVE_WORKERS="2") as (base, _, _):
        first = set(each_worker(lambda: httpx.get(f"{base}/health", timeout=60)))
        victim = min(first)
        os.kill(int(victim), signal.SIGKILL)
        answered = {httpx.get(f"{base}/health", timeout=60).headers[WORKER] for _ in range(10)}
        assert victim not in answered  # the system no longer hands it connections
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            workers = {httpx.get(f"{base}/health", timeout=60).headers[WORKER] for _ in range(20)}
            if len(workers) == 2:
                break
            time.sleep(1)
        assert len(workers) == 2 and victim not in workers, workers  # a new worker took its place


OPEN = """
import sys
from docqa.settings import Settings
from docqa.store import Index
from tests.docqa.test_store import TinyEmbeddings
from tests.faults.test_workers import add_pages
index = Index(Settings(data_dir=sys.argv[1]), embedder=TinyEmbeddings())
"""
ADD = OPEN + "add_pages(index, sys.argv[2], int(sys.argv[3]))"
READ = OPEN + "print(len(index.documents()), index.count())"  # the snapshot reads every vector


def add_pages(index: Index, doc_id: str, pages: int) -> None:
    """A document of `pages` one-chunk pages."""
    texts = [f"Page {i} du document {doc_id}, " + "aeiou"[i % 5] * (i % 7) for i in range(pages)]
    chunks = list(chunk_pages([Page(doc_id=doc_id, page=i + 1, text=t) for i, t in enumerate(texts)], 200, 40))
    info = DocumentInfo(doc_id=doc_id, title=doc_id, content_hash=doc_id)
    index.replace_document(info, chunks, index.embedder.embed_documents([c.text for c in chunks]))


def test_processes_writing_in_turn_lose_nothing(tmp_path):
    """Each process's Chroma client keeps its own in-memory vector index: writing after another process wrote,
    it used to lose the other's vectors, and the next process to read them crashed (SIGSEGV in Chroma)."""
    index = Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings())
    add_pages(index, "a", 1200)
    assert len(index.dense_search([1.0, 2.0, 3.0, 4.0, 5.0], 3)) == 3
    subprocess.run([sys.executable, "-c", ADD, str(tmp_path), "b", "1200"], cwd=REPO, check=True)
    add_pages(index, "c", 1200)  # this process's client had not seen b
    read = subprocess.run([sys.executable, "-c", READ, str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert (read.returncode, read.stdout.split()) == (0, ["3", "3600"]), read.stderr[-2000:]
