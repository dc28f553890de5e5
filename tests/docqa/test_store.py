import pytest

from docqa import store
from docqa.errors import EmbeddingModelMismatchError, IndexStorageError
from docqa.schema import DocumentInfo, Page
from docqa.settings import Settings
from docqa.store import Index
from ingest.chunking import chunk_pages


class TinyEmbeddings:
    """A deterministic stand-in embedder for store mechanics (the real models are tested elsewhere)."""

    def __init__(self, name: str = "tiny"):
        self.name = name

    def embed_documents(self, texts):
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text):
        return [text.count(c) + 1.0 for c in "aeiou"]


def add(index: Index, doc_id: str, texts: list[str]) -> None:
    pages = [Page(doc_id=doc_id, page=i, text=t) for i, t in enumerate(texts, start=1)]
    chunks = list(chunk_pages(pages, 200, 40))
    info = DocumentInfo(doc_id=doc_id, title=f"Titre {doc_id}", content_hash=doc_id)
    index.replace_document(info, chunks, index.embedder.embed_documents([c.text for c in chunks]))


@pytest.fixture
def index(tmp_path):
    return Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings())


def test_replace_document_replaces_exactly_its_chunks(index):
    add(index, "a", ["Les startups d’IA en santé sont 97.", "Page deux sur les données."])
    add(index, "b", ["Le Health Data Hub héberge les données."])
    before_b = {h.chunk_id for h in index.lexical_search("Health Data Hub", 10)}
    add(index, "a", ["Les startups d’IA en santé sont près de 100."])
    docs = {d.doc_id: d for d in index.documents()}
    assert docs["a"].chunks == 1 and docs["b"].chunks == 1
    assert index.lexical_search("97", 5) == []
    assert index.lexical_search("100 startups", 5)[0].doc_id == "a"
    assert {h.chunk_id for h in index.lexical_search("Health Data Hub", 10)} == before_b


def test_same_content_is_an_upsert_not_a_duplicate(index):
    add(index, "a", ["Une phrase.", "Une autre phrase."])
    count = index.count()
    add(index, "a", ["Une phrase.", "Une autre phrase."])
    assert index.count() == count


def test_delete_document_and_lexical_index_follows(index):
    add(index, "a", ["Les startups d’IA en santé."])
    add(index, "b", ["Le Health Data Hub."])
    assert index.delete_document("a") == 1
    assert [d.doc_id for d in index.documents()] == ["b"]
    assert index.lexical_search("startups", 5) == []


def test_lexical_index_is_persisted_and_rebuilt_when_stale(tmp_path, index):
    add(index, "a", ["Les startups d’IA en santé."])
    index.lexical_search("startups", 5)
    assert (tmp_path / "bm25" / "docqa" / "fingerprint.json").exists()
    reopened = Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings())
    assert reopened.lexical_search("startups", 5)[0].doc_id == "a"
    add(reopened, "b", ["Les startups de la healthtech."])
    assert {h.doc_id for h in reopened.lexical_search("startups", 5)} == {"a", "b"}


def test_refuses_to_mix_embedding_models(tmp_path, index):
    add(index, "a", ["Une phrase."])
    with pytest.raises(EmbeddingModelMismatchError, match="tiny.*other|other.*tiny"):
        Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings("other"))


def test_reset_allows_a_new_model(tmp_path, index):
    add(index, "a", ["Une phrase."])
    index.reset()
    assert index.count() == 0
    assert Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings("other")).count() == 0


def test_page_text_rebuilds_the_page_at_chunk_offsets(index):
    text = " ".join(f"Phrase numéro {i} sur la santé." for i in range(30))
    add(index, "a", [text])
    page = index.page_text("a", 1)
    for hit in index.lexical_search("phrase santé", 50):
        assert page[hit.start : hit.end] == hit.text


def test_filter_by_document(index):
    add(index, "a", ["Les startups d’IA en santé."])
    add(index, "b", ["Les startups de la healthtech."])
    assert {h.doc_id for h in index.lexical_search("startups", 5, docs=["b"])} == {"b"}
    assert {h.doc_id for h in index.dense_search(index.embedder.embed_query("startups"), 5, docs=["a"])} == {"a"}


def test_a_half_written_version_is_never_served(index, monkeypatch):
    """A write that fails between two batches (full disk): the previous version stays served, alone."""
    add(index, "a", ["Les startups d’IA en santé sont 97."])
    add(index, "b", ["Le Health Data Hub héberge les données."])
    pages = [Page(doc_id="a", page=1, text=" ".join(f"Nouvelle phrase {i} sur les hôpitaux." for i in range(20)))]
    chunks = list(chunk_pages(pages, 200, 40))
    assert len(chunks) > 2
    monkeypatch.setattr(store, "_WRITE_BATCH", 2)
    collection = index._collection

    class FailingSecondBatch:
        calls = 0

        def __getattr__(self, name):
            return getattr(collection, name)

        def upsert(self, **kwargs):
            FailingSecondBatch.calls += 1
            if FailingSecondBatch.calls == 2:
                raise IndexStorageError("disk full")
            return collection.upsert(**kwargs)

    index._opened = FailingSecondBatch()
    info = DocumentInfo(doc_id="a", title="Titre a", content_hash="v2")
    with pytest.raises(IndexStorageError):
        index.replace_document(info, chunks, index.embedder.embed_documents([c.text for c in chunks]))
    index._opened, index._cache = collection, None

    assert len(index._collection.get(where={"doc_id": "a"})["ids"]) == 3  # the old chunk and 2 new ones
    docs = {d.doc_id: d for d in index.documents()}
    assert docs["a"].chunks == 1 and docs["a"].content_hash == ""  # old version served; next ingest redoes it
    assert docs["b"].content_hash == "b"
    assert index.lexical_search("hôpitaux", 5) == []
    assert index.lexical_search("97 startups", 5)[0].doc_id == "a"
    assert {h.doc_id for h in index.dense_search(index.embedder.embed_query("nouvelle phrase hôpitaux"), 10)} <= {
        "a",
        "b",
    }
    assert (
        len(index.dense_search(index.embedder.embed_query("nouvelle phrase hôpitaux"), 10)) == 2
    )  # only the served chunks


def test_a_serving_process_sees_what_another_one_ingested(tmp_path, index):
    add(index, "a", ["Les startups d’IA en santé."])
    assert [d.doc_id for d in index.documents()] == ["a"]
    other = Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings())  # e.g. `docqa ingest` beside `docqa serve`
    add(other, "b", ["Le Health Data Hub héberge les données."])
    other.delete_document("a")
    assert [d.doc_id for d in index.documents()] == ["b"]
    assert index.lexical_search("Health Data Hub", 5)[0].doc_id == "b"
