"""LangChain's own standard tests (`langchain-tests`) on docqa's retriever and embedders."""

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests

import docqa
from docqa.embeddings import E5Embeddings, USEEmbeddings
from docqa.settings import Settings, get_settings
from docqa.store import Index
from ingest.pipeline import ingest
from tests.corpora import small_corpus


@pytest.fixture(scope="module", autouse=True)
def default_engine(tmp_path_factory):
    """The process's default engine (`docqa.get_qa()`) over a small corpus of three passages."""
    root = tmp_path_factory.mktemp("standard")
    settings = Settings(data_dir=root / "data")
    assert ingest([small_corpus(root / "corpus", note=True)], Index(settings), settings).ok
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCQA_DATA_DIR", str(settings.data_dir))
        patch.setattr(docqa, "_engines", {})  # a fresh default engine for these settings
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


class TestRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[docqa.Retriever]:
        return docqa.Retriever  # no argument: the default engine's index

    @property
    def retriever_query_example(self) -> str:
        return "Combien d'emplois d'ici 2025 ?"


def test_retriever_filters_documents_given_to_invoke():
    documents = docqa.Retriever().invoke("Health Data Hub", k=3, docs=["etude"])
    assert documents and {d.metadata["doc_id"] for d in documents} == {"etude"}


class TestUSEEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[USEEmbeddings]:
        return USEEmbeddings


class TestE5Embeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[E5Embeddings]:
        return E5Embeddings


def test_the_python_api_reads_the_default_engine_and_creates_no_folder(tmp_path, monkeypatch):
    assert "5 000" in docqa.ask("Combien d'emplois d'ici 2025 ?").answer
    assert docqa.search("Health Data Hub", k=1)[0].doc_id
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("DOCQA_DATA_DIR", str(missing))
    get_settings.cache_clear()
    for read in (docqa.ask, docqa.search, lambda query: docqa.Retriever().invoke(query)):
        with pytest.raises(docqa.DocqaError, match=f"there is no index under {missing}"):
            read("Health Data Hub")
    assert not missing.exists()
    get_settings.cache_clear()
