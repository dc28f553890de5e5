"""docqa against a real `chroma run` server on a free loopback port."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from docqa.qa import QA
from docqa.settings import Settings
from eval.servers import free_port, wait_for_port
from ingest.pipeline import ingest
from tests.corpora import small_corpus

pytestmark = [pytest.mark.server, pytest.mark.slow]
CHROMA = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [CHROMA, "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 60)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_ingest_and_ask_through_a_chroma_server(chroma_server, tmp_path):
    corpus = small_corpus(tmp_path / "corpus")
    settings = Settings(data_dir=tmp_path / "data", chroma_mode="http", chroma_port=chroma_server)
    qa = QA(settings)
    report = ingest([corpus], qa.index, settings)
    assert report.indexed == ["etude"] and ingest([corpus], qa.index, settings).unchanged == ["etude"]
    answer = qa.ask("Combien d'emplois d'ici 2025 ?")
    assert "5 000" in answer.answer and answer.citations[0].page == 2
    assert not (tmp_path / "data" / "chroma").exists()  # the vectors live in the server, not locally
    # a second process (a new engine) sees the same index; its lexical index is rebuilt from the server's chunks
    fresh = QA(Settings(data_dir=tmp_path / "other", chroma_mode="http", chroma_port=chroma_server))
    assert fresh.search("emplois 2025")[0].doc_id == "etude"
