"""Incremental ingestion with the real default embedder and a real embedded Chroma in a tmp dir."""

import json

import pytest

from docqa.settings import Settings
from docqa.store import Index
from ingest.pipeline import ingest

PAGE_1 = "Les startups d’IA en santé sont près de 100 en France.\nElles emploient des data scientists."
PAGE_2 = "Environ 5 000 emplois directement liés à l’IA devraient être créés d’ici 2025."


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "etude.txt").write_text(f"{PAGE_1}\f{PAGE_2}", encoding="utf-8")
    (folder / "note.md").write_text("# Note\n\nLe Health Data Hub héberge des données de santé.", encoding="utf-8")
    manifest = {"documents": [{"doc_id": "etude", "file": "etude.txt", "title": "Étude IA", "year": 2020}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", chunk_size=300, chunk_overlap=50)


@pytest.fixture
def index(settings):
    return Index(settings)


def test_ingest_then_reingest_is_a_no_op(corpus, index, settings):
    first = ingest([corpus], index, settings)
    assert sorted(first.indexed) == ["etude", "note"] and first.chunks == index.count()
    docs = {d.doc_id: d for d in index.documents()}
    assert docs["etude"].title == "Étude IA" and docs["etude"].year == 2020 and docs["etude"].pages == 2
    assert docs["note"].title == "Note"  # no manifest entry: its first heading
    ids = sorted(index.chroma.read_all().ids)

    vocabulary = index._snapshot().vocabulary()  # words of two chunks or more: what English questions map to
    assert first.sentences == 4 + len(vocabulary) and index.sentences.path.exists()  # embedded once

    second = ingest([corpus], index, settings)
    assert second.indexed == [] and sorted(second.unchanged) == ["etude", "note"]
    assert sorted(index.chroma.read_all().ids) == ids
    assert second.sentences == 0


def test_changed_file_replaces_only_its_chunks(corpus, index, settings):
    ingest([corpus], index, settings)
    note_ids = {h.chunk_id for h in index.lexical_search("Health Data Hub", 10) if h.doc_id == "note"}
    (corpus / "etude.txt").write_text(f"{PAGE_1}\fLe scénario prévoit 7 000 emplois.", encoding="utf-8")
    report = ingest([corpus], index, settings)
    assert report.indexed == ["etude"] and report.unchanged == ["note"]
    assert index.lexical_search("5 000", 5) == []
    assert index.lexical_search("7 000 emplois", 5)[0].page == 2
    assert {h.chunk_id for h in index.lexical_search("Health Data Hub", 10) if h.doc_id == "note"} == note_ids


def test_changed_manifest_entry_reindexes_its_document(corpus, index, settings):
    ingest([corpus], index, settings)
    manifest = {"documents": [{"doc_id": "etude", "file": "etude.txt", "title": "Étude IA 2020", "year": 2020}]}
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest([corpus], index, settings)
    assert report.indexed == ["etude"] and report.unchanged == ["note"]
    assert {d.doc_id: d.title for d in index.documents()}["etude"] == "Étude IA 2020"


def test_deleted_file_is_removed(corpus, index, settings):
    ingest([corpus], index, settings)
    (corpus / "note.md").unlink()
    report = ingest([corpus], index, settings)
    assert report.removed == ["note"]
    assert [d.doc_id for d in index.documents()] == ["etude"]


def test_bad_files_are_skipped_with_their_reason_and_the_others_indexed(corpus, index, settings):
    (corpus / "corrompu.pdf").write_bytes(b"%PDF-1.4 garbage \x00\x01")
    (corpus / "vide.txt").write_bytes(b"")
    (corpus / "latin1.txt").write_bytes("données".encode("latin-1"))
    report = ingest([corpus], index, settings)
    assert sorted(report.indexed) == ["etude", "note"]
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert set(reasons) == {"corrompu.pdf", "vide.txt", "latin1.txt"}
    assert "empty" in reasons["vide.txt"] and "UTF-8" in reasons["latin1.txt"]
    assert report.ok


def test_nothing_indexable_is_not_ok(tmp_path, index, settings):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"not a pdf")
    report = ingest([bad, tmp_path / "missing.txt"], index, settings)
    assert not report.ok and len(report.skipped) == 2


def test_changed_chunking_settings_reindex(corpus, index, settings):
    ingest([corpus], index, settings)
    other = settings.model_copy(update={"chunk_size": 200})
    assert sorted(ingest([corpus], index, other).indexed) == ["etude", "note"]


def test_metadata_from_the_file_where_the_manifest_is_silent(tmp_path, settings):
    from ingest.pipeline import document_info, prepare, read_manifest
    from tests.office import make_docx

    folder = tmp_path / "docs"
    folder.mkdir()
    make_docx(folder / "a.docx", [("p", "The report counts startups.")], title="Health AI", author="AEC", year=2021)
    make_docx(folder / "b.docx", [("p", "Le rapport recense les startups.")], title="Titre du fichier", year=2021)
    manifest = {"documents": [{"file": "b.docx", "title": "Titre du manifeste", "year": 2019, "language": "fr"}]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    found = {}
    for name in ("a.docx", "b.docx"):
        info = document_info(folder / name, read_manifest(folder), "")
        prepare(folder / name, info, settings)
        found[name] = (info.title, info.publisher, info.year, info.language)
    assert found == {"a.docx": ("Health AI", "AEC", 2021, "en"), "b.docx": ("Titre du manifeste", "", 2019, "fr")}


def test_two_files_of_one_document_id_keep_the_first_and_name_both(corpus, index, settings):
    (corpus / "note.txt").write_text("Une autre note sur le Health Data Hub.", encoding="utf-8")  # note.md's id
    for _ in range(2):  # the same document served at every run, not the last file read
        report = ingest([corpus], index, settings)
        assert [s.path.rsplit("/", 1)[-1] for s in report.skipped] == ["note.txt"]
        assert "'note' is" in report.skipped[0].reason and "note.md" in report.skipped[0].reason
        assert {d.doc_id: d.source for d in index.documents()}["note"].endswith("note.md")
    (corpus / "note.html").write_text("<p>Troisième note.</p>", encoding="utf-8")  # before note.md by name
    report = ingest([corpus], index, settings)  # the indexed file stays, the new ones are reported
    assert sorted(s.path.rsplit("/", 1)[-1] for s in report.skipped) == ["note.html", "note.txt"]
    assert {d.doc_id: d.source for d in index.documents()}["note"].endswith("note.md")


def test_a_new_doc_id_for_a_file_replaces_its_old_document(corpus, index, settings):
    ingest([corpus], index, settings)
    manifest = {"documents": [{"doc_id": "etude-2020", "file": "etude.txt", "title": "Étude IA"}]}
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest([corpus], index, settings)
    assert report.indexed == ["etude-2020"] and report.removed == ["etude"]
    assert sorted(d.doc_id for d in index.documents()) == ["etude-2020", "note"]


def test_a_manifest_value_of_the_wrong_kind_skips_its_file_with_the_reason(corpus, index, settings):
    manifest = {"documents": [{"doc_id": "etude", "file": "etude.txt", "year": "deux mille"}]}
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest([corpus], index, settings)
    assert report.indexed == ["note"] and [s.path.rsplit("/", 1)[-1] for s in report.skipped] == ["etude.txt"]
    assert "manifest.json" in report.skipped[0].reason and "year" in report.skipped[0].reason


def test_a_deleted_file_is_removed_when_ingest_runs_from_another_folder(corpus, index, settings, monkeypatch):
    monkeypatch.chdir(corpus.parent)
    ingest([corpus.relative_to(corpus.parent)], index, settings)  # "corpus", relative to where it runs
    (corpus / "note.md").unlink()
    monkeypatch.chdir("/")
    assert ingest([corpus], index, settings).removed == ["note"]


def test_an_empty_folder_and_a_manifest_entry_without_its_file_are_reported(corpus, index, settings, tmp_path):
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"].append({"file": "absent.pdf", "title": "Absent"})
    (corpus / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "vide").mkdir()
    report = ingest([corpus, tmp_path / "vide"], index, settings)
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert sorted(report.indexed) == ["etude", "note"] and set(reasons) == {"absent.pdf", "vide"}
    assert "not found" in reasons["absent.pdf"] and "no supported file" in reasons["vide"]


def test_documents_read_in_a_run_stay_whatever_their_files_were_before(corpus, index, settings):
    ingest([corpus], index, settings)
    (corpus / "note.md").rename(corpus / "note.txt")  # the same document in another file
    (corpus / "lien.txt").symlink_to(corpus / "etude.txt")  # a second document on the same file
    for _ in range(2):
        report = ingest([corpus], index, settings)
        assert report.removed == [] and sorted(d.doc_id for d in index.documents()) == ["etude", "lien", "note"]
    assert {d.doc_id: d.source for d in index.documents()}["note"].endswith("note.txt")
    swapped = {"documents": [{"doc_id": "note", "file": "etude.txt"}, {"doc_id": "etude", "file": "note.txt"}]}
    (corpus / "manifest.json").write_text(json.dumps(swapped), encoding="utf-8")
    report = ingest([corpus], index, settings)  # two files exchange their ids: both documents are read again
    assert sorted(report.indexed) == ["etude", "note"] and report.removed == []
