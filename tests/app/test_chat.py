"""The Streamlit chat driven by streamlit's AppTest, on a small real corpus."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from docqa.settings import Settings, get_settings
from docqa.store import Index
from ingest.pipeline import ingest

APP = str(Path(__file__).resolve().parents[2] / "app" / "chat.py")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("chat")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "etude.txt").write_text(
        "Contexte de l’étude.\fEnviron 5 000 emplois liés à l’IA devraient être créés d’ici 2025 en France.",
        encoding="utf-8",
    )
    (corpus / "note.txt").write_text("Le Health Data Hub héberge des données de santé.", encoding="utf-8")
    settings = Settings(data_dir=root / "data")
    assert ingest([corpus], Index(settings), settings).ok
    return root / "data"


@pytest.fixture
def app(data_dir, monkeypatch):
    monkeypatch.setenv("DOCQA_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    yield at
    get_settings.cache_clear()


def test_empty_chat_shows_examples_and_documents(app):
    assert not app.exception
    assert any("Exemples" in c.value for c in app.caption)
    assert any("etude" in c.value for c in app.sidebar.caption)


def test_ask_shows_answer_and_cited_source(app):
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    assert not app.exception
    assert any("5 000" in m.value and "[1]" in m.value for m in app.markdown)
    assert any(e.label.startswith("[1] etude — p. 2") for e in app.expander)


def test_abstention_is_shown_as_such(app):
    app.chat_input[0].set_value("Quel est le prix d'un appartement à Lyon en 2023 ?").run()
    assert any("ne permettent pas" in i.value for i in app.info)


def test_filter_by_document(app):
    app.sidebar.multiselect[0].set_value(["note"]).run()
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    assert not any(e.label.startswith("[1] etude") for e in app.expander)


def test_missing_index_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception and "docqa ingest" in at.error[0].value
    get_settings.cache_clear()
