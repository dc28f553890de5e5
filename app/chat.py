"""Streamlit chat: ask the reports, read the cited sources. Run with `make chat`
(`streamlit run app/chat.py --server.address 127.0.0.1`)."""

from __future__ import annotations

import re

import streamlit as st

from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.schema import Answer
from docqa.settings import get_settings

EXAMPLES = [
    "Combien d'emplois liés à l'IA en santé devraient être créés d'ici 2025 ?",
    "Combien de startups d'IA en santé la cartographie de l'étude AEC recense-t-elle ?",
    "Quelles sont les cinq mesures proposées par le Think Tank Économie Santé ?",
    "What is PariSanté Campus?",
]


@st.cache_resource(show_spinner="Chargement du modèle et de l'index…")
def engine(configuration: str) -> QA:
    """The answer engine, built once per server process and `configuration` (the settings, as a cache key)."""
    return QA(get_settings())


def show_answer(answer: Answer) -> None:
    """An answer with its inline markers, then its sources (title, page, quote highlighted in its passage)."""
    for note in answer.notes:
        st.warning(note)
    if answer.abstained:
        st.info(answer.answer)
        if answer.hits:
            st.caption("Passages les plus proches :")
            for hit in answer.hits[:3]:
                with st.expander(f"{hit.title} — p. {hit.page or '—'}"):
                    st.write(hit.text)
        return
    st.markdown(answer.answer)
    for c in answer.citations:
        with st.expander(f"[{c.n}] {c.title} — p. {c.page or '—'}"):
            st.markdown(highlight(c.passage or c.quote, c.quote.split(" … ")))


def highlight(passage: str, quotes: list[str]) -> str:
    """The passage as Markdown with the quoted sentences in bold."""
    text = passage
    for quote in quotes:
        text = text.replace(quote, f"**{quote.strip()}**")
    return re.sub(r"\n+", "\n\n", text)


def sidebar(qa: QA) -> tuple[list[str] | None, int]:
    """Indexed documents, a document filter, the number of passages; returns (docs, k)."""
    st.sidebar.header("Documents indexés")
    documents = qa.index.documents()
    for d in documents:
        pages = f"{d.pages} p., " if d.pages else ""
        st.sidebar.caption(f"**{d.title}** ({d.year or 's. d.'}) — {pages}{d.chunks} passages")
    titles = {d.title: d.doc_id for d in documents}
    chosen = st.sidebar.multiselect("Interroger seulement", list(titles), placeholder="Tous les documents")
    k = st.sidebar.slider("Passages", min_value=1, max_value=10, value=qa.settings.top_k)
    st.sidebar.caption(f"Modèle d'embedding : {qa.index.model} · réponse : {qa.answerer.name}")
    if st.sidebar.button("Nouvelle conversation"):
        st.session_state.messages = []
    return ([titles[t] for t in chosen] or None), k


def main() -> None:
    st.set_page_config(page_title="docqa", page_icon="📄")
    st.title("docqa — IA et santé")
    try:
        qa = engine(get_settings().model_dump_json())
        qa.index.require_content()
    except DocqaError as exc:
        st.error(f"{exc}")
        st.stop()
    docs, k = sidebar(qa)
    messages = st.session_state.setdefault("messages", [])
    if not messages:
        st.caption("Exemples de questions :")
        for example in EXAMPLES:
            st.caption(f"• {example}")
    for message in messages:
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(message["content"])
            else:
                show_answer(message["answer"])
    question = st.chat_input("Votre question sur les rapports…")
    if question:
        messages.append({"role": "user", "content": question})
        with st.chat_message("user"):
            st.markdown(question)
        with st.chat_message("assistant"):
            try:
                answer = qa.ask(question, k=k, docs=docs)
            except DocqaError as exc:
                st.error(str(exc))
                return
            show_answer(answer)
        messages.append({"role": "assistant", "answer": answer})


main()
