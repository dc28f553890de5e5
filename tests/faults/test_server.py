"""Hostile uploads against a real `docqa serve` process on loopback: each gets a clear error, the server stays
up and keeps answering, and it sees what a separate `docqa ingest` adds."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from docqa.settings import Settings
from docqa.store import Index
from eval.servers import free_port
from ingest.pipeline import ingest
from tests.faults.test_faults import REPO, write_corpus
from tests.pdfs import make_decompression_bomb, make_pdf

pytestmark = [pytest.mark.server, pytest.mark.slow]
QUESTION = "Quel usage de l'intelligence artificielle décrit le document 0 ?"


@pytest.fixture
def server(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    ingest([write_corpus(tmp_path / "corpus", documents=1, sentences=20)], Index(settings), settings)
    with serving(settings.data_dir) as served:
        yield served


@contextmanager
def serving(data_dir: Path, **env: str) -> Iterator[tuple[str, dict[str, str], subprocess.Popen]]:
    """A `docqa serve` process over `data_dir` on a free loopback port (with `env` as extra DOCQA_ settings):
    (its address, its environment, the process), stopped at the end."""
    port = free_port()
    env = {**os.environ, "DOCQA_DATA_DIR": str(data_dir), **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            raise TimeoutError("docqa serve did not start")
        yield base, env, process
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def asking_meanwhile(base: str) -> Iterator[list[str]]:
    """A client asking QUESTION in a loop while the block runs; yields the list of failed answers."""
    failures: list[str] = []
    stop = threading.Event()

    def ask() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                response = client.post("/ask", json={"question": QUESTION})
                if response.status_code != 200 or not response.json()["citations"]:
                    failures.append(response.text)

    reader = threading.Thread(target=ask)
    reader.start()
    try:
        yield failures
    finally:
        stop.set()
        reader.join(timeout=60)


def test_hostile_uploads_get_clear_errors_and_the_server_stays_up(server, tmp_path):
    base, env, process = server
    files = tmp_path / "files"
    files.mkdir()
    uploads = {
        "vide.pdf": (b"", 422, "empty file"),
        "binaire.pdf": (os.urandom(4096), 422, "corrupt PDF"),
        "chiffré.pdf": (make_pdf(files / "c.pdf", ["secret"], password="pw").read_bytes(), 422, "password"),
        "bombe.pdf": (make_decompression_bomb(files / "b.pdf", 1024).read_bytes(), 422, "PDF bomb"),
        "gonflée.pdf": (make_decompression_bomb(files / "g.pdf", 40, pages=3).read_bytes(), 422, "PDF bomb"),
        "énorme.txt": (b"a " * (25 * 2**20), 413, "file too large"),
        "latin1.txt": ("données de santé".encode("latin-1"), 422, "not UTF-8"),
        "scripts.html": (b"<html><script>alert(1)</script><body></body></html>", 422, "no main text"),
        "x.xlsx": (b"PK\x03\x04", 415, "unsupported file type"),
        "../../../etc/évasion.txt": ("Une note sur la télésanté.".encode(), 201, ""),
        "rapport final été 2024.txt": ("Le Health Data Hub héberge des données.".encode(), 201, ""),
    }
    with asking_meanwhile(base) as failures, httpx.Client(base_url=base, timeout=120) as client:
        for name, (data, status, message) in uploads.items():
            response = client.post("/documents", files={"file": (name, data)})
            assert response.status_code == status, (name, response.text)
            assert message in response.text, (name, response.text)
            assert "Traceback" not in response.text
    assert not failures
    assert process.poll() is None and httpx.get(f"{base}/health").status_code == 200
    stored = sorted(p.name for p in (tmp_path / "data" / "uploads").iterdir())
    assert stored == ["rapport final été 2024.txt", "évasion.txt"]  # the path of the name is dropped
    documents = {d["doc_id"] for d in httpx.get(f"{base}/documents").json()}
    assert len(documents) == 3 and "doc0" in documents


def test_the_server_sees_a_separate_ingest(server, tmp_path):
    base, env, _ = server
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "note.txt").write_text("Le Health Data Hub héberge les données de santé françaises.", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "app.cli", "ingest", str(extra)], env=env, cwd=REPO, check=True)
    hits = httpx.post(f"{base}/search", json={"query": "Health Data Hub", "k": 1}).json()["hits"]
    assert hits[0]["doc_id"] == "note"
