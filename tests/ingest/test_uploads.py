"""Uploads on a real index: the one add_file of the API and the chat, and the repair of what a killed upload
left (the server test kills a real `docqa serve` during a replacement: tests/faults/test_hardening.py)."""

import pytest

from docqa.errors import DocumentExistsError, FileTooLargeError, LoaderError, UnsupportedFileError
from docqa.settings import Settings
from docqa.store import Index
from ingest.pipeline import ingest
from ingest.uploads import add_file, reconcile, remove, uploads_dir
from tests.corpora import small_corpus


@pytest.fixture
def index(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", max_file_mb=0.01)
    index = Index(settings)
    ingest([small_corpus(tmp_path / "corpus")], index, settings)
    return index, settings


def test_add_file_checks_and_refusals(index):
    index, settings = index
    with pytest.raises(UnsupportedFileError, match=r"x.xlsx: unsupported file type '.xlsx' \(supported: .pdf, .docx"):
        add_file("x.xlsx", b"PK", index, settings)  # the accepted types are the loaders' table
    with pytest.raises(LoaderError, match="x.docx: corrupt Word file: not a zip package"):
        add_file("x.docx", b"PK", index, settings)  # a supported type, read: nothing kept
    assert not list(uploads_dir(settings).iterdir())
    with pytest.raises(FileTooLargeError, match=r"gros.txt: file too large \(0.0 MB > 0.01 MB"):
        add_file("gros.txt", b"a" * 20_000, index, settings)
    with pytest.raises(DocumentExistsError, match="corpus document 'etude'"):
        add_file("etude.md", b"Autre.", index, settings, replace=True)
    assert add_file("../note.txt", b"Une note.", index, settings).doc_id == "note"
    assert remove("note", index, settings) >= 1 and not list(uploads_dir(settings).iterdir())
    with pytest.raises(DocumentExistsError, match="'etude' is a corpus document"):
        remove("etude", index, settings)
    assert any(d.doc_id == "etude" for d in index.documents())


def test_title_given_at_upload_else_the_files_own(index):
    index, settings = index
    assert add_file("n.md", b"# Sa note\n\nTexte.", index, settings, title=" Ma  note ").title == "Ma note"
    with pytest.raises(LoaderError):
        add_file("n.pdf", b"not a pdf", index, settings, replace=True, title="Perdu")  # refused: title kept
    assert [d.title for d in index.documents() if d.doc_id == "n"] == ["Ma note"]
    assert "Ma note" in (uploads_dir(settings) / "manifest.json").read_text()
    assert add_file("n.txt", b"# Sa note\n\nAutre.", index, settings, replace=True).title == "Sa note"
    assert sorted(p.name for p in uploads_dir(settings).iterdir()) == ["n.txt"]  # no titles left: no manifest


def test_same_bytes_replaced_under_a_new_title_take_it(index):
    index, settings = index
    note = b"# Sa note\n\nLe Health Data Hub."
    add_file("n.md", note, index, settings, title="Ancien titre")
    assert add_file("n.md", note, index, settings, replace=True, title="Nouveau titre").title == "Nouveau titre"
    assert [d.title for d in Index(settings).documents() if d.doc_id == "n"] == ["Nouveau titre"]  # as listed
    assert add_file("n.md", note, index, settings, replace=True).title == "Sa note"  # no title: the file's own
    assert ingest([uploads_dir(settings)], index, settings, prune=False).unchanged == ["n"]


def test_reconcile_removes_what_a_killed_upload_left(index):
    index, settings = index
    add_file("garde.txt", "Le Health Data Hub héberge des données.".encode(), index, settings)
    add_file("garde.txt", "Nouvelle version complète.".encode(), index, settings, replace=True)
    uploads = uploads_dir(settings)
    (uploads / ".garde.txt.previous").write_text("l'ancienne version", encoding="utf-8")  # killed before unlinking it
    (uploads / ".neuf.txt.part").write_bytes(b"moiti")  # killed while writing
    (uploads / "orphelin.txt").write_text("jamais indexé", encoding="utf-8")  # killed before indexing
    assert sorted(reconcile(index, settings)) == [
        ".neuf.txt.part: interrupted upload removed",
        "orphelin.txt: upload never completely indexed, removed",
    ]
    assert sorted(p.name for p in uploads.iterdir()) == ["garde.txt"]
    assert "Nouvelle version" in index.page_text("garde", None)
    assert reconcile(index, settings) == []


def test_uploads_stay_uploads_when_the_data_folder_is_moved(index, tmp_path):
    index, settings = index
    add_file("garde.txt", "Le Health Data Hub héberge des données.".encode(), index, settings)
    index.close()
    moved = settings.model_copy(update={"data_dir": tmp_path / "ailleurs"})
    settings.data_dir.rename(moved.data_dir)
    index = Index(moved)
    assert reconcile(index, moved) == []  # its file is not taken for an upload never indexed
    assert remove("garde", index, moved) >= 1 and not (uploads_dir(moved) / "garde.txt").exists()
