"""The Streamlit chat driven by streamlit's AppTest, on a small real corpus."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.feedback import FeedbackStore
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


def test_feedback_is_stored(app, data_dir):
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    app.feedback[0].set_value(1).run()
    app.text_input[0].set_value("Réponse précise").run()
    next(b for b in app.button if b.label == "Envoyer").click().run()
    assert not app.exception and any("Merci" in c.value for c in app.caption)
    rows = FeedbackStore(data_dir / "feedback.sqlite").rows()
    assert rows[-1]["rating"] == 1 and rows[-1]["comment"] == "Réponse précise" and "5 000" in rows[-1]["answer"]


def test_follow_up_question_uses_the_previous_one(app):
    app.chat_input[0].set_value("Combien d'emplois liés à l'IA d'ici 2025 ?").run()
    app.chat_input[0].set_value("Et en France ?").run()
    assert not app.exception
    assert sum("5 000" in m.value for m in app.markdown) >= 2


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "etude.txt").write_text("Environ 5 000 emplois liés à l’IA d’ici 2025.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], Index(settings), settings)
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    yield at, tmp_path / "data"
    get_settings.cache_clear()


def test_upload_adds_a_good_file_and_refuses_a_corrupt_one(fresh_app):
    app, data = fresh_app
    text = "Le Health Data Hub héberge les données de santé françaises.".encode()
    app.sidebar.file_uploader[0].set_value(("note hdh.txt", text, "text/plain")).run()
    assert not app.exception and any("ajouté" in s.value for s in app.sidebar.success)
    assert (data / "uploads" / "note hdh.txt").exists()
    assert {d.doc_id for d in Index(Settings(data_dir=data)).documents()} == {"etude", "note hdh"}
    app.sidebar.file_uploader[0].set_value(("../../rapport.pdf", b"not a pdf", "application/pdf")).run()
    assert any("corrupt PDF" in e.value for e in app.sidebar.error)
    assert not (data / "uploads" / "rapport.pdf").exists()
    assert {d.doc_id for d in Index(Settings(data_dir=data)).documents()} == {"etude", "note hdh"}


def test_llm_endpoint_down_is_a_clear_message_with_the_extractive_answer(data_dir, monkeypatch):
    monkeypatch.setenv("DOCQA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("DOCQA_ANSWERER", "llm")
    monkeypatch.setenv("DOCQA_LLM_PROVIDER", "openai")
    monkeypatch.setenv("DOCQA_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("DOCQA_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("DOCQA_LLM_TIMEOUT", "2")
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert at.sidebar.radio[0].options == ["Extractive", "LLM"]
    at.sidebar.radio[0].set_value("llm").run()
    at.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    assert not at.exception
    assert any("LLM answer not used" in w.value for w in at.warning)
    assert any("5 000" in m.value for m in at.markdown)
    get_settings.cache_clear()
