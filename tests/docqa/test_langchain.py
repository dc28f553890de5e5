"""docqa's retriever inside an ordinary LCEL chain, with a fake chat model (no LLM is reachable here)."""

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough

from docqa.qa import QA
from docqa.settings import Settings
from ingest.pipeline import ingest


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
