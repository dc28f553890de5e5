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
