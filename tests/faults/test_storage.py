"""A full disk and a read-only data directory, made real with a small tmpfs and a read-only bind mount (the
tests run as root, which ignores file permissions, so chmod would prove nothing)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from docqa.errors import IndexStorageError
from docqa.qa import QA
from docqa.settings import Settings
from docqa.store import Index
from ingest.pipeline import ingest
from tests.faults.test_faults import REPO, assert_consistent, write_corpus

pytestmark = pytest.mark.slow


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def mounts():
    """Mounts made by a test, undone afterwards; the test is skipped where mounting is not allowed."""
    made: list[Path] = []

    def make(target: Path, *args: str) -> Path:
        target.mkdir(parents=True, exist_ok=True)
        try:
            mount(*args, str(target))
        except (OSError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"cannot mount here (needs root): {getattr(exc, 'stderr', exc)}")
        made.append(target)
        return target

    yield make
    for target in reversed(made):
        subprocess.run(["umount", "-l", str(target)], check=False)


def docqa(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOCQA_DATA_DIR": str(data), "DOCQA_CHUNK_SIZE": "300", "DOCQA_CHUNK_OVERLAP": "50"}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_full_disk_is_a_clear_error_serves_only_complete_documents_and_recovers(tmp_path, mounts):
    disk = mounts(tmp_path / "disk", "-t", "tmpfs", "-o", "size=64m", "tmpfs")
    corpus = write_corpus(tmp_path / "corpus", documents=2, sentences=60)
    settings = Settings(data_dir=disk / "data", chunk_size=300, chunk_overlap=50)
    qa = QA(settings)
    assert ingest([corpus], qa.index, settings).ok
    # the disk fills up: new documents no longer fit
    mount("-o", f"remount,size={shutil.disk_usage(disk).used + 64 * 1024}", str(disk))
    for path in write_corpus(tmp_path / "more", documents=6, sentences=200).iterdir():
        shutil.copy(path, corpus / f"new-{path.name}")

    with pytest.raises(IndexStorageError, match=r"the disk is full \(0\.\d MB free\)"):
        ingest([corpus], qa.index, settings)
    cli = docqa(disk / "data", "ingest", str(corpus))
    assert cli.returncode == 1 and "the disk is full" in cli.stderr and "Traceback" not in cli.stderr
    upload = TestClient(create_app(lambda: qa)).post("/documents", files={"file": ("n.txt", b"x" * 200_000)})
    assert upload.status_code == 507 and "No space left on device" in upload.json()["error"]

    # what is served is complete: the two documents indexed before, nothing of a half-written one
    served = {d.doc_id: d for d in Index(settings).documents() if d.chunks}
    assert set(served) == {"doc0", "doc1"} and all(d.content_hash for d in served.values())
    hits = qa.search("Quel usage décrit le document 0 ?", k=10)
    assert hits and {h.doc_id for h in hits} <= {"doc0", "doc1"}

    # space freed: the same engine indexes the rest, consistently
    mount("-o", "remount,size=64m", str(disk))
    report = ingest([corpus], qa.index, settings)
    assert len(report.indexed) == 6 and sorted(report.unchanged) == ["doc0", "doc1"]
    assert_consistent(qa.index)
    fresh = Settings(data_dir=tmp_path / "fresh", chunk_size=300, chunk_overlap=50)
    ingest([corpus], Index(fresh), fresh)
    assert qa.index.count() == Index(fresh).count()
    assert qa.search("Quel usage décrit le document 5 ?", k=3)


def test_read_only_data_dir_is_a_clear_error_and_loses_nothing(tmp_path, mounts):
    corpus = write_corpus(tmp_path / "corpus", documents=2, sentences=30)
    settings = Settings(data_dir=tmp_path / "data", chunk_size=300, chunk_overlap=50)
    ingest([corpus], Index(settings), settings)
    count = Index(settings).count()
    read_only = mounts(tmp_path / "ro", "--bind", str(tmp_path / "data"))
    mount("-o", "remount,ro,bind", str(read_only))

    with pytest.raises(IndexStorageError, match="read-only file system"):
        Index(settings.model_copy(update={"data_dir": read_only}))
    for command in (["ask", "Quel usage ?"], ["ingest", str(corpus)], ["docs"]):
        result = docqa(read_only, *command)
        assert result.returncode == 1, command
        assert "read-only file system: set DOCQA_DATA_DIR to a writable folder" in result.stderr.replace("\n", " ")
        assert "Traceback" not in result.stderr

    index = Index(settings)  # the index itself is intact
    assert index.count() == count
    assert_consistent(index)
