"""docqa's retriever inside an ordinary LCEL chain, with a fake chat model (no LLM is reachable here)."""

import asyncio

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from pydantic import ValidationError

from docqa.errors import DocqaError, UnknownDocumentError
from docqa.qa import QA
from docqa.retrieval import HybridRetriever
from docqa.settings import Settings
from ingest.pipeline import ingest
from tests.corpora import small_corpus


def test_retriever_in_an_lcel_chain(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("Le Health Data Hub héberge les données de santé françaises.", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    qa = QA(settings)
    ingest([corpus], qa.index, settings)
    prompt = ChatPromptTemplate.from_template("Contexte : {context}\nQuestion : {question}")
    seen = {}

    def context(documents):
        seen["documents"] = documents
        return "\n".join(d.page_content for d in documents)

    model = FakeListChatModel(responses=["Le Health Data Hub héberge les données de santé [1]."])
    chain = {"context": qa.retriever | context, "question": RunnablePassthrough()} | prompt | model | StrOutputParser()
    assert chain.invoke("Que fait le Health Data Hub ?").endswith("[1].")
    assert seen["documents"][0].metadata["doc_id"] == "note"


def test_a_plain_langchain_chroma_searches_docqas_collection(tmp_path):
    """As the README says: another tool opens docqa's collection with `langchain_chroma.Chroma` and the
    embedder named in its metadata; Chroma never needs (nor fetches) a model of its own."""
    import chromadb
    from langchain_chroma import Chroma

    from docqa.embeddings import get_embedder
    from docqa.store import Index
    from tests.corpora import small_corpus

    settings = Settings(data_dir=tmp_path / "data")
    with Index(settings) as index:
        assert ingest([small_corpus(tmp_path / "corpus", note=True)], index, settings).ok

    collection = chromadb.PersistentClient(path=str(tmp_path / "data" / "chroma")).get_collection("docqa")
    assert collection.configuration_json["embedding_function"] is None
    store = Chroma(
        collection_name="docqa",
        persist_directory=str(tmp_path / "data" / "chroma"),
        embedding_function=get_embedder(collection.metadata["embedder"]),
    )
    [jobs] = store.similarity_search("emplois liés à l'IA d'ici 2025", k=1)
    assert (jobs.metadata["doc_id"], jobs.metadata["page"]) == ("etude", 2) and "5 000" in jobs.page_content
    [note] = store.similarity_search("Health Data Hub", k=1, filter={"doc_id": "note"})
    assert "page" not in note.metadata  # a document without pages


@pytest.fixture(scope="module")
def small_qa(tmp_path_factory):
    """An engine over the small corpus: etude (two pages) and note."""
    root = tmp_path_factory.mktemp("langchain")
    settings = Settings(data_dir=root / "data")
    engine = QA(settings)
    assert ingest([small_corpus(root / "corpus", note=True)], engine.index, settings).ok
    return engine


def test_ainvoke_takes_k_and_docs_like_invoke(small_qa):
    retriever = small_qa.retriever
    found = asyncio.run(retriever.ainvoke("Health Data Hub", k=1))
    assert found == retriever.invoke("Health Data Hub", k=1) and len(found) == 1
    limited = asyncio.run(retriever.ainvoke("Health Data Hub", k=3, docs=["etude"]))
    assert limited and {d.metadata["doc_id"] for d in limited} == {"etude"}


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"k": 0}, DocqaError, "k must be between 1 and 50, got 0"),
        ({"k": 51}, DocqaError, "k must be between 1 and 50, got 51"),
        ({"docs": ["etude", "nope"]}, UnknownDocumentError, r"unknown document\(s\): nope \(indexed: etude, note\)"),
    ],
)
def test_invoke_and_ainvoke_check_k_and_docs_as_search_does(small_qa, arguments, error, message):
    with pytest.raises(error, match=message):
        small_qa.search("Health Data Hub", **arguments)
    with pytest.raises(error, match=message):
        small_qa.retriever.invoke("Health Data Hub", **arguments)
    with pytest.raises(error, match=message):
        asyncio.run(small_qa.retriever.ainvoke("Health Data Hub", **arguments))


def test_the_constructor_checks_k_and_docs(small_qa):
    with pytest.raises(UnknownDocumentError, match=r"nope \(indexed: etude, note\)"):
        HybridRetriever(index=small_qa.index, docs=["nope"])
    with pytest.raises(ValidationError, match="less than or equal to 50"):
        HybridRetriever(index=small_qa.index, k=51)
    retriever = HybridRetriever(index=small_qa.index, scorer=small_qa.retriever.scorer, docs=["note"])
    assert {d.metadata["doc_id"] for d in retriever.invoke("Health Data Hub", k=3)} == {"note"}


def test_an_unknown_documents_error_stays_short_whatever_is_sent(small_qa):
    with pytest.raises(UnknownDocumentError) as error:
        small_qa.search("Health Data Hub", docs=[f"nope-{n:05d}" for n in range(20_000)])
    assert "and 19980 more" in str(error.value) and len(str(error.value)) < 500
