"""Streamlit chat: ask the reports, read the cited sources. Run with `make chat`
(`streamlit run app/chat.py --server.address 127.0.0.1`)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import streamlit as st

from app.conversation import retrieval_query
from app.feedback import FeedbackStore
from docqa.answering.generative import GenerativeAnswerer
from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.schema import Answer, location
from docqa.settings import get_settings
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import ingest

EXAMPLES = [
    "Combien d'emplois liés à l'IA en santé devraient être créés d'ici 2025 ?",
    "Combien de startups d'IA en santé la cartographie de l'étude AEC recense-t-elle ?",
    "Quelles sont les cinq mesures proposées par le Think Tank Économie Santé ?",
    "What is PariSanté Campus?",
]
_STAGES = {"read": "Lecture", "embed": "Embeddings", "sentences": "Phrases"}


@st.cache_resource(show_spinner="Chargement du modèle et de l'index…")
def engine(configuration: str) -> QA:
    """The answer engine, built once per server process and `configuration` (the settings, as a cache key)."""
    return QA(get_settings())


def show_answer(answer: Answer, qa: QA | None = None, key: int = 0, streamed: bool = False) -> None:
    """An answer with its inline markers, then its sources (title, page, quote highlighted in its passage, and
    the whole page on demand). `streamed`: the text was already written progressively."""
    for note in answer.notes:
        st.warning(note)
    if answer.abstained:
        st.info(answer.answer)
        if answer.hits:
            st.caption("Passages les plus proches :")
            for hit in answer.hits[:3]:
                with st.expander(f"{hit.title} — {location(hit.page, hit.section)}"):
                    st.write(hit.text)
        return
    if not streamed:
        st.markdown(answer.answer)
    for c in answer.citations:
        with st.expander(f"[{c.n}] {c.title} — {c.location}"):
            st.markdown(highlight(c.passage or c.quote, c.quote.split(" … ")))
            if qa is not None and st.toggle("Lire toute la page", key=f"page-{key}-{c.n}"):
                st.text(qa.index.page_text(c.doc_id, c.page))


def highlight(passage: str, quotes: list[str]) -> str:
    """The passage as Markdown with the quoted sentences in bold."""
    text = passage
    for quote in quotes:
        text = text.replace(quote, f"**{quote.strip()}**")
    return re.sub(r"\n+", "\n\n", text)


def feedback(qa: QA, message: dict, key: int) -> None:
    """Thumbs up/down and a comment under an answer, stored in the data directory's feedback.sqlite."""
    if message.get("feedback_sent"):
        st.caption("Merci pour votre retour.")
        return
    rating = st.feedback("thumbs", key=f"rating-{key}")
    if rating is not None:
        comment = st.text_input("Commentaire (facultatif)", key=f"comment-{key}")
        if st.button("Envoyer", key=f"send-{key}"):
            feedback_store(qa).add(message["answer"], rating, comment)
            message["feedback_sent"] = True
            st.rerun()


def feedback_store(qa: QA) -> FeedbackStore:
    return FeedbackStore(qa.settings.data_dir / "feedback.sqlite")


def upload(qa: QA) -> None:
    """Add an uploaded file to the index; a bad file is reported and removed, the index left as it was."""
    suffixes = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
    uploaded = st.sidebar.file_uploader("Ajouter un document", type=suffixes)
    done = st.session_state.setdefault("uploaded", set())
    if uploaded is None or uploaded.file_id in done:
        return
    done.add(uploaded.file_id)
    name = re.sub(r"[^\w.\- ]", "_", Path(uploaded.name).name).lstrip(".") or "document"
    path = qa.settings.data_dir / "uploads" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(uploaded.getvalue())
    bar = st.sidebar.progress(0.0, text=f"Indexation de {name}…")

    def progress(stage: str, done_: int, total: int) -> None:
        bar.progress(done_ / max(total, 1), text=f"{_STAGES[stage]} : {done_}/{total}")

    report = ingest([path], qa.index, qa.settings, progress=progress, prune=False)
    bar.empty()
    if report.skipped:
        path.unlink(missing_ok=True)
        st.sidebar.error(f"{name} n'a pas été ajouté : {report.skipped[0].reason}")
    else:
        st.sidebar.success(f"{name} ajouté ({report.chunks} passages).")


def respond(qa: QA, question: str, k: int, docs: list[str] | None, mode: str) -> tuple[Answer, bool]:
    """The answer, streamed word by word by the generative answerer, at once by the extractive one; returns
    (answer, whether it was written progressively)."""
    if mode != "llm" or not isinstance(qa.answerer, GenerativeAnswerer):
        return qa.ask(question, k=k, docs=docs), False
    stream = qa.answerer.stream(qa.retrieve(question, k=k, docs=docs))
    placeholder = st.empty()
    with placeholder.container():
        st.write_stream(stream)
    answer = stream.answer
    if answer.answerer != "llm":  # the draft failed its checks: the extractive answer replaces it
        placeholder.empty()
        return answer, False
    return answer, True


def sidebar(qa: QA) -> tuple[list[str] | None, int, str]:
    """Indexed documents, a document filter, the number of passages, the answer mode; returns (docs, k, mode)."""
    st.sidebar.header("Documents indexés")
    documents = qa.index.documents()
    for d in documents:
        pages = f"{d.pages} p., " if d.pages else ""
        st.sidebar.caption(f"**{d.title}** ({d.year or 's. d.'}) — {pages}{d.chunks} passages")
    titles = {d.title: d.doc_id for d in documents}
    chosen = st.sidebar.multiselect("Interroger seulement", list(titles), placeholder="Tous les documents")
    k = st.sidebar.slider("Passages", min_value=1, max_value=10, value=qa.settings.top_k)
    modes = ["extractive", "llm"] if isinstance(qa.answerer, GenerativeAnswerer) else ["extractive"]
    mode = st.sidebar.radio("Mode de réponse", modes, format_func=lambda m: {"llm": "LLM"}.get(m, "Extractive"))
    store = qa.settings.data_dir / "chroma" / "chroma.sqlite3"
    last = datetime.fromtimestamp(store.stat().st_mtime).strftime("%d/%m/%Y %H:%M") if store.exists() else "—"
    st.sidebar.caption(f"Index : {qa.index.model}, {qa.index.count()} passages, dernière indexation {last}")
    if st.sidebar.button("Nouvelle conversation"):
        st.session_state.messages = []
    upload(qa)
    store = feedback_store(qa)
    st.sidebar.download_button("Exporter les retours (CSV)", store.to_csv(), "feedback.csv", "text/csv")
    return ([titles[t] for t in chosen] or None), k, mode


def main() -> None:
    st.set_page_config(page_title="docqa", page_icon="📄")
    st.title("docqa — IA et santé")
    try:
        qa = engine(get_settings().model_dump_json())
        qa.index.require_content()
    except DocqaError as exc:
        st.error(f"{exc}")
        st.stop()
    docs, k, mode = sidebar(qa)
    messages = st.session_state.setdefault("messages", [])
    if not messages:
        st.caption("Exemples de questions :")
        for example in EXAMPLES:
            st.caption(f"• {example}")
    for i, message in enumerate(messages):
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(message["content"])
            else:
                show_answer(message["answer"], qa, i)
                feedback(qa, message, i)
    question = st.chat_input("Votre question sur les rapports…")
    if question:
        previous = [m["content"] for m in messages if m["role"] == "user"]
        messages.append({"role": "user", "content": question})
        with st.chat_message("user"):
            st.markdown(question)
        with st.chat_message("assistant"):
            try:
                answer, streamed = respond(qa, retrieval_query(question, previous), k, docs, mode)
            except DocqaError as exc:
                st.error(str(exc))
                return
            show_answer(answer, qa, len(messages), streamed)
        messages.append({"role": "assistant", "answer": answer})
        st.rerun()  # draw the answer's feedback buttons


main()
