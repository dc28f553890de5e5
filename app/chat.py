"""Streamlit chat: ask the reports, read the cited sources, come back to earlier conversations. Run with
`docqa web` (what `make chat` opens)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.conversation import retrieval_query
from app.documents import pdf_file, pdf_url
from app.feedback import FeedbackStore
from app.history import Conversation, ConversationStore, Turn
from app.labels import EXAMPLES, label, where
from app.markdown import inert
from docqa import get_qa
from docqa.answering.generative import GenerativeAnswerer
from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.schema import Answer, DocumentInfo
from docqa.settings import Settings, get_settings
from docqa.text import detect_language
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.uploads import MAX_TITLE_CHARS, add_file, is_upload, reconcile, remove

ABOUT = (
    "Des réponses courtes tirées des rapports français sur l'IA en santé, chaque phrase citée avec sa source "
    "(ou « les rapports ne le disent pas »)."
)
_STAGES = {"read": "Lecture", "ocr": "OCR des pages", "embed": "Embeddings", "sentences": "Phrases"}


@st.cache_resource(show_spinner="Chargement du modèle et de l'index…")
def engine(configuration: str) -> QA:
    """The answer engine, built once per server process and `configuration` (the settings, as a cache key),
    after repairing what a killed upload left."""
    qa = get_qa(get_settings())
    reconcile(qa.index, qa.settings)
    return qa


def show_answer(answer: Answer, qa: QA | None = None, key: str = "0", streamed: bool = False) -> None:
    """An answer with its inline markers, then its sources (title, page, quote highlighted in its passage, a link
    to the PDF at its page, the whole page on demand), labelled in the question's language. `streamed`: the text
    is already written."""
    language = answer.language
    for note in answer.notes:
        st.warning(note)
    if answer.abstained:
        st.info(answer.answer)
        if answer.hits:
            st.caption(label("closest", language))
            for hit in answer.hits[:3]:
                with st.expander(where(hit.title, hit.page, language, hit.section)):
                    st.markdown(inert(hit.text))
        return
    if not streamed:
        st.markdown(linked(inert(answer.answer), key))
    pdfs: set[str] = set()  # the cited documents whose PDF `docqa web` serves (app/web.py)
    if qa is not None:
        cited = {c.doc_id for c in answer.citations}
        pdfs = {d.doc_id for d in qa.index.documents() if d.doc_id in cited and pdf_file(d, qa.settings)}
    for c in answer.citations:
        quotes = c.quote.split(" … ")
        st.html(f'<span id="source-{key}-{c.n}"></span>')  # where the answer's [n] leads
        with st.expander(f"[{c.n}] {where(c.title, c.page, language, c.section)}"):
            if c.page is not None and c.doc_id in pdfs:
                st.markdown(f"[{label('open_pdf', language, page=c.page)}]({pdf_url(c.doc_id, c.page)})")
            st.markdown(highlight(c.passage or c.quote, quotes))
            if qa is not None and st.toggle(label("whole_page", language), key=f"page-{key}-{c.n}"):
                st.markdown(highlight(qa.index.page_text(c.doc_id, c.page), quotes))
    if answer.hits:
        st.caption(label("read", language, n=len(answer.hits)))


def linked(markdown: str, key: str) -> str:
    r"""The inert answer with each `\[n\]` marker made a link to its source's anchor."""
    return re.sub(r"\\\[(\d+)\\\]", rf"[\\[\1\\]](#source-{key}-\1)", markdown)


def highlight(passage: str, quotes: list[str]) -> str:
    """The passage as inert Markdown with the quoted sentences in bold."""
    text = inert(passage)
    for quote in quotes:
        text = text.replace(inert(quote), f"**{inert(quote.strip())}**")
    return re.sub(r"\n+", "\n\n", text)


def feedback(qa: QA, history: ConversationStore, conversation: Conversation, turn: Turn, key: str) -> None:
    """Thumbs up/down, stored at once in the data directory's feedback.sqlite, then an optional comment, stored
    when given (Enter or leaving the box)."""
    store = feedback_store(qa)
    language = turn.answer.language

    def rate() -> None:
        rating = st.session_state[f"rating-{key}"]
        if rating is None or rating == turn.rating:
            return
        if turn.feedback_id is None:
            turn.feedback_id = store.add(turn.answer, rating)
        else:
            store.update(turn.feedback_id, rating=rating)
        turn.rating = rating
        history.save(conversation)

    def comment() -> None:
        turn.comment = st.session_state[f"comment-{key}"].strip()
        store.update(turn.feedback_id, comment=turn.comment)
        history.save(conversation)

    st.feedback("thumbs", key=f"rating-{key}", default=turn.rating, on_change=rate)
    if turn.feedback_id is not None:
        st.caption(label("thanks", language))
        st.text_input(label("comment", language), value=turn.comment, key=f"comment-{key}", on_change=comment)
        if turn.comment:
            st.caption(label("comment_saved", language))


def feedback_store(qa: QA) -> FeedbackStore:
    return FeedbackStore(qa.settings.data_dir / "feedback.sqlite")


def upload(qa: QA) -> None:
    """Add the uploaded files to the index (`ingest.uploads.add_file`, as the API does), under the title given
    (one file) or the file's own; a refused file is reported with its reason, the index left as it was. A
    document of the same name is replaced only when asked."""
    suffixes = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
    limit = qa.settings.max_file_mb
    with st.sidebar.form("upload", clear_on_submit=True):
        files = st.file_uploader(
            f"Ajouter des documents ({limit:g} Mo au plus par fichier)",
            type=suffixes,
            accept_multiple_files=True,
            max_upload_size=math.ceil(limit),
        )
        title = st.text_input(
            "Titre (un seul fichier)", max_chars=MAX_TITLE_CHARS, placeholder="le sien (métadonnées, 1er titre)"
        )
        replace = st.checkbox("Remplacer le document téléversé du même nom", key="replace")
        submitted = st.form_submit_button("Ajouter", icon=":material/upload:")
    if not submitted or not files:
        return
    if title.strip() and len(files) > 1:
        st.sidebar.error("Un titre ne s'applique qu'à un seul fichier : envoyez les fichiers un par un.")
        return
    bar = st.sidebar.progress(0.0)
    for uploaded in files:

        def progress(stage: str, done: int, total: int, name: str = uploaded.name) -> None:
            bar.progress(done / max(total, 1), text=f"{name} — {_STAGES[stage]} : {done}/{total}")

        try:
            document = add_file(uploaded.name, uploaded.getvalue(), qa.index, qa.settings, replace, progress, title)
        except DocqaError as exc:
            st.sidebar.error(f"{uploaded.name} non ajouté : {exc}")
        else:
            st.sidebar.success(f"{Path(document.source).name} ajouté ({document.chunks} passages) : {document.title}")
    bar.empty()


def remove_upload(qa: QA, doc_id: str) -> None:
    """Remove an uploaded document and its file (`ingest.uploads.remove`, as the API's DELETE does)."""
    try:
        remove(doc_id, qa.index, qa.settings)
    except DocqaError as exc:
        st.session_state.notice = f"{doc_id} non supprimé : {exc}"


def document_list(qa: QA, box: DeltaGenerator) -> list[DocumentInfo]:
    """The indexed documents in `box`, each uploaded one with its delete button; returns them."""
    if notice := st.session_state.pop("notice", None):
        box.error(notice)
    documents = qa.index.documents()
    for d in documents:
        pages = f"{d.pages} p., " if d.pages else ""
        text, button = box.columns([5, 1], vertical_alignment="center")
        text.caption(f"**{inert(d.title)}** ({d.year or 's. d.'}) — {pages}{d.chunks} passages")
        if is_upload(d, qa.settings):
            button.button(
                "",
                icon=":material/delete:",
                key=f"remove-{d.doc_id}",
                help=f"Supprimer {d.title} (téléversé)",
                type="tertiary",
                on_click=remove_upload,
                args=(qa, d.doc_id),
            )
    return documents


def respond(qa: QA, question: str, k: int, docs: list[str] | None, mode: str) -> tuple[Answer, bool]:
    """The answer, under a status naming how many reports are searched; streamed word by word by the generative
    answerer, at once by the extractive one. Returns (answer, whether it was written progressively)."""
    language = detect_language(question)
    n = len(docs) if docs else len(qa.index.documents())
    generative = mode == "llm" and isinstance(qa.answerer, GenerativeAnswerer)
    with st.status(label("searching_one" if n == 1 else "searching", language, n=n)) as status:
        if generative:
            evidence = qa.retrieve(question, k=k, docs=docs)
        else:
            answer = qa.ask(question, k=k, docs=docs)
        found = generative or not answer.abstained
        status.update(label=label("done" if found else "abstained", language), state="complete")
    if not generative:
        return answer, False
    stream = qa.answerer.stream(evidence)
    placeholder = st.empty()
    with placeholder.container():
        st.write_stream(inert(piece) for piece in stream)
    answer = stream.answer
    if answer.answerer != "llm":  # the draft failed its checks: the extractive answer replaces it
        placeholder.empty()
        return answer, False
    return answer, True


def last_indexed(settings: Settings) -> str:
    """When the index last changed: the time of the stamp the index rewrites after every change (docqa.store),
    not of Chroma's files, which reading them touches."""
    stamp = settings.data_dir / f"{settings.collection}.changed"
    return datetime.fromtimestamp(stamp.stat().st_mtime).strftime("%d/%m/%Y %H:%M") if stamp.exists() else "—"


def local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%d/%m/%Y %H:%M")


def open_conversation(conversation: Conversation) -> None:
    st.session_state.conversation = conversation
    if conversation.turns:
        st.query_params["c"] = conversation.id  # a reload reopens it
    else:
        st.query_params.pop("c", None)


def conversations(history: ConversationStore, current: Conversation) -> None:
    """The new-conversation button, the stored conversations (title, date) to reopen, and the current one's
    rename, export and delete (drawn where the caller is: the sidebar)."""
    st.button("Nouvelle conversation", icon=":material/add:", on_click=open_conversation, args=(Conversation(),))
    stored = history.list()
    if stored:
        st.subheader("Conversations")
    for c in stored:
        st.button(
            f"{c.title} · {local_time(c.updated)}",
            key=f"open-{c.id}",
            type="secondary" if c.id == current.id else "tertiary",
            on_click=lambda id_=c.id: open_conversation(history.get(id_) or Conversation()),
            width="stretch",
        )
    if not current.turns:
        return

    def rename() -> None:
        try:
            current.title = history.rename(current.id, st.session_state[f"title-{current.id}"])
        except ValueError:
            st.session_state[f"title-{current.id}"] = current.title

    with st.expander("Cette conversation"):
        st.text_input("Titre", value=current.title, key=f"title-{current.id}", on_change=rename)
        name = re.sub(r"[^\w-]+", "-", current.title.lower()).strip("-")[:40] or "conversation"
        st.download_button("Exporter (Markdown)", current.markdown(), f"{name}.md", "text/markdown")
        delete = st.button("Supprimer la conversation", key=f"delete-{current.id}")
    if delete:
        history.delete(current.id)
        open_conversation(Conversation())
        st.rerun()


def sidebar(qa: QA) -> tuple[list[str] | None, int, str]:
    """Indexed documents, a document filter, the number of passages, the answer mode (when an LLM is
    configured), the index status, upload; returns (docs, k, mode)."""
    st.sidebar.header("Documents indexés")
    listing = st.sidebar.container()  # filled after the upload below, so that a new document shows at once
    chosen_box = st.sidebar.container()
    k = st.sidebar.slider(
        "Passages", min_value=1, max_value=10, value=qa.settings.top_k, help="Passages lus pour chaque réponse"
    )
    mode = "extractive"
    if isinstance(qa.answerer, GenerativeAnswerer):
        names = {"extractive": "Extractive", "llm": "LLM"}
        mode = st.sidebar.radio("Mode de réponse", list(names), format_func=names.get)
    status = st.sidebar.empty()
    upload(qa)
    documents = document_list(qa, listing)
    titles = {d.title: d.doc_id for d in documents}
    chosen = chosen_box.multiselect("Interroger seulement", list(titles), placeholder="Tous les documents")
    status.caption(
        f"Index : {qa.index.model}, {qa.index.count()} passages, dernière indexation {last_indexed(qa.settings)}"
    )
    store = feedback_store(qa)
    st.sidebar.download_button("Exporter les retours (CSV)", store.to_csv(), "feedback.csv", "text/csv")
    return ([titles[t] for t in chosen] or None), k, mode


def current_conversation(history: ConversationStore) -> Conversation:
    """The session's conversation: the one named in the address (?c=id, so that a reload keeps it), else new."""
    if "conversation" not in st.session_state:
        wanted = st.query_params.get("c")
        st.session_state.conversation = (history.get(wanted) if wanted else None) or Conversation()
    return st.session_state.conversation


def main() -> None:
    st.set_page_config(page_title="docqa", page_icon="📄")
    st.title("docqa — IA et santé")
    st.caption(ABOUT)
    try:
        qa = engine(get_settings().model_dump_json())
        qa.index.require_content()
    except DocqaError as exc:
        st.error(f"{exc}")
        st.stop()
    history = ConversationStore(qa.settings.data_dir / "conversations.sqlite")
    conversation = current_conversation(history)
    listing = st.sidebar.container()  # filled last, so that a conversation started in this run is listed
    docs, k, mode = sidebar(qa)
    examples = st.empty()
    if not conversation.turns:
        with examples.container():
            st.caption("Exemples de questions :")
            for i, example in enumerate(EXAMPLES):
                if st.button(example, key=f"example-{i}", type="tertiary", icon=":material/chat_bubble:"):
                    st.session_state.asked = example
    for i, turn in enumerate(conversation.turns):
        key = f"{conversation.id}-{i}"
        with st.chat_message("user"):
            st.markdown(turn.question)
        with st.chat_message("assistant"):
            show_answer(turn.answer, qa, key)
            feedback(qa, history, conversation, turn, key)
    question = st.chat_input("Votre question sur les rapports…") or st.session_state.pop("asked", None)
    if question:
        examples.empty()
        ask(qa, history, conversation, question, k, docs, mode)
    with listing:
        conversations(history, conversation)


def ask(
    qa: QA,
    history: ConversationStore,
    conversation: Conversation,
    question: str,
    k: int,
    docs: list[str] | None,
    mode: str,
) -> None:
    """Answer `question` in the conversation, store the turn, then draw its feedback buttons."""
    previous = [t.question for t in conversation.turns]
    key = f"{conversation.id}-{len(conversation.turns)}"
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        try:
            answer, streamed = respond(qa, retrieval_query(question, previous), k, docs, mode)
        except DocqaError as exc:
            st.error(str(exc))
            return
        show_answer(answer, qa, key, streamed)
        turn = Turn(question=question, answer=answer)
        conversation.turns.append(turn)
        history.save(conversation)
        open_conversation(conversation)
        feedback(qa, history, conversation, turn, key)


main()
