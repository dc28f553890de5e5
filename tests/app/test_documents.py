"""The indexed PDFs that `docqa web` serves (app/documents.py), on a real index with a real uploaded PDF, through
Starlette's TestClient."""

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from app.documents import ROUTE, pdf_url
from docqa.settings import Settings, get_settings
from docqa.store import Index
from ingest.pipeline import ingest
from ingest.uploads import add_file, remove
from tests.corpora import small_corpus
from tests.pdfs import make_pdf


@pytest.fixture
def served(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data")
    index = Index(settings)
    ingest([small_corpus(tmp_path / "corpus")], index, settings)
    pdf = make_pdf(tmp_path / "r.pdf", ["Rapport.", "Le Health Data Hub héberge des données de santé."])
    add_file("rapport hdh.pdf", pdf.read_bytes(), index, settings)
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield TestClient(Starlette(routes=[ROUTE])), index, settings, pdf.read_bytes()
    get_settings.cache_clear()


def test_an_indexed_pdf_is_served_inline_and_nothing_else(served):
    client, index, settings, data = served
    url = pdf_url("rapport hdh", 2)
    assert url == "/documents/rapport%20hdh.pdf#page=2"
    response = client.get(url)
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    for path in (
        "/documents/etude.pdf",  # indexed, but a text file
        "/documents/inconnu.pdf",
        "/documents/..%2Fuploads%2Frapport%20hdh.pdf",  # an id is looked up, never a path
        "/documents/uploads%2Frapport%20hdh.pdf",
        "/documents/..%2F..%2Fdata%2Ffeedback.sqlite.pdf",
        "/documents/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/documents/etude.pdf").json() == {"error": "no indexed PDF document 'etude'"}
    remove("rapport hdh", index, settings)
    assert client.get(url).status_code == 404  # a deleted document's file is not served


def test_an_uploaded_pdf_is_served_from_a_moved_data_folder(served, tmp_path, monkeypatch):
    client, _, settings, data = served
    moved = tmp_path / "moved"
    settings.data_dir.rename(moved)  # its index records the upload's path in the old folder
    monkeypatch.setenv("DOCQA_DATA_DIR", str(moved))
    get_settings.cache_clear()
    response = client.get(pdf_url("rapport hdh", 1))
    assert response.status_code == 200 and response.content == data
