import numpy as np
import pytest

from docqa import scoring, store
from docqa.errors import EmbeddingModelMismatchError, IndexStorageError
from docqa.schema import DocumentInfo, Page
from docqa.settings import Settings
from docqa.store import Index, chroma
from docqa.store.sentences import SentenceVectors
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
    monkeypatch.setattr(chroma, "WRITE_BATCH", 2)
    upsert = index.chroma._collection.upsert
    calls = []

    def failing_second_batch(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return upsert(**kwargs)

    monkeypatch.setattr(index.chroma._collection, "upsert", failing_second_batch)
    info = DocumentInfo(doc_id="a", title="Titre a", content_hash="v2")
    with pytest.raises(IndexStorageError, match="No space left"):
        index.replace_document(info, chunks, index.embedder.embed_documents([c.text for c in chunks]))
    index._cache = None

    assert len(index.chroma.ids("a")) == 3  # the old chunk and 2 new ones
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


def test_close_releases_the_client_and_a_later_use_reopens_it(index):
    add(index, "a", ["Les startups d’IA en santé."])
    index.close()
    assert index.count() == 1 and index.lexical_search("startups", 5)[0].doc_id == "a"
    with Index(index.settings, embedder=TinyEmbeddings()) as other:
        assert other.count() == 1


def test_after_a_storage_error_the_client_is_reopened_for_every_index_of_the_folder(index, monkeypatch):
    add(index, "a", ["Les startups d’IA en santé."])
    other = Index(index.settings, embedder=TinyEmbeddings())

    def full_disk(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.chroma._collection, "get", full_disk)
    with pytest.raises(IndexStorageError, match="No space left"):
        index.chroma.ids("a")
    assert index.chroma.ids("a") and other.chroma.ids("a")  # both work again: one client per folder and process


def test_an_index_of_an_older_layout_is_reported_outdated_and_reset_upgrades_it(index, monkeypatch):
    add(index, "a", ["Une phrase."])
    assert not index.outdated
    monkeypatch.setattr(store.index, "LAYOUT", store.LAYOUT + 1)  # a newer docqa opens this index
    reopened = Index(index.settings, embedder=TinyEmbeddings())
    assert reopened.outdated
    reopened.reset()
    assert not reopened.outdated and reopened.chroma.metadata["docqa_layout"] == store.LAYOUT + 1


def test_chunks_without_pages_store_no_page_and_a_text_hash(index):
    chunks = list(chunk_pages([Page(doc_id="n", page=None, text="Une note sans pages.")], 200, 40))
    info = DocumentInfo(doc_id="n", title="Note", content_hash="n")
    index.replace_document(info, chunks, index.embedder.embed_documents([c.text for c in chunks]))
    [meta] = index.chroma.read_all().metadatas
    assert "page" not in meta and meta["text_hash"] == store.text_hash("Note\nUne note sans pages.")
    assert index.lexical_search("note", 5)[0].page is None


class CountingEmbeddings(TinyEmbeddings):
    def __init__(self):
        super().__init__()
        self.embedded: list[str] = []

    def embed_documents(self, texts):
        self.embedded += texts
        return super().embed_documents(texts)


def test_chunk_vectors_reuse_the_vectors_of_unchanged_texts(tmp_path):
    index = Index(Settings(data_dir=tmp_path), embedder=CountingEmbeddings())
    pages = [Page(doc_id="a", page=i, text=f"Page {i} : les startups d’IA en santé sont {i}.") for i in range(1, 6)]
    info = DocumentInfo(doc_id="a", title="Titre", content_hash="v1")
    chunks = list(chunk_pages(pages, 200, 40, version="v1"))
    index.replace_document(info, chunks, index.chunk_vectors(info, chunks))
    assert len(index.embedder.embedded) == 5
    pages[2] = Page(doc_id="a", page=3, text="Page 3 : les startups d’IA en santé sont 30.")  # one edit
    edited = list(chunk_pages(pages, 200, 40, version="v2"))
    vectors = index.chunk_vectors(info, edited)
    assert index.embedder.embedded[5:] == ["Titre\nPage 3 : les startups d’IA en santé sont 30."]
    assert np.allclose(vectors, [TinyEmbeddings().embed_query(f"Titre\n{c.text}") for c in edited])


def test_sentence_search_finds_a_passage_by_its_one_answering_sentence(tmp_path):
    index = Index(Settings(data_dir=tmp_path, sentence_embedder="e5"), embedder=TinyEmbeddings())  # the real e5
    filler = "Le rapport présente les acteurs du secteur et leurs financements publics. " * 2
    add(index, "chat", [filler + "Le chat dort toute la journée sur le canapé du salon."])
    add(index, "budget", [filler + "Le budget de la région a augmenté de dix pour cent."])
    assert index.sync_sentences() > 0
    hits = index.sentence_search(index.embed_sentence_query("Où le félin se repose-t-il ?"), 2)
    assert [h.doc_id for h in hits] == ["chat", "budget"] and hits[0].score > hits[1].score
    assert index.sentence_search(index.embed_sentence_query("félin"), 2, docs=["budget"])[0].doc_id == "budget"


def test_a_sentence_index_of_the_chunks_embedder_reuses_its_sentence_vectors(tmp_path):
    settings = Settings(data_dir=tmp_path, embedder="tiny", sentence_embedder="tiny")
    index = Index(settings, embedder=TinyEmbeddings())
    assert index.retrieval_sentences is index.sentences
    add(index, "chat", ["Le chat dort toute la journée sur le canapé du salon."])
    add(index, "chien", ["Le chien court toute la journée dans le jardin."])
    embedded = index.sync_sentences()
    assert embedded == len(index.sentences) > 2  # each sentence and vocabulary word embedded once, none forgotten
    assert index.sentence_search(index.embed_sentence_query("chat"), 1)[0].doc_id == "chat"


def test_sentence_vectors_give_each_text_s_cosine_to_a_query(tmp_path):
    vectors = SentenceVectors(tmp_path / "v.npz", TinyEmbeddings(), "tiny", 100)
    cosines = scoring.cosines(vectors.vectors(["aaa", "ooo", "aaa ooo"]), vectors.embed_query("aaa"))
    assert cosines[0] == pytest.approx(1.0, abs=1e-3) and cosines[1] < cosines[2] < cosines[0]


def test_the_paraphrase_embedder_s_sentence_vectors_are_the_sentence_index_s_when_they_share_a_model(tmp_path):
    shared = Index(Settings(data_dir=tmp_path, sentence_embedder="e5"), embedder=TinyEmbeddings())
    assert shared.paraphrase_sentences is shared.retrieval_sentences is not None
    alone = Index(Settings(data_dir=tmp_path / "b", paraphrase_embedder=""), embedder=TinyEmbeddings())
    assert alone.paraphrase_sentences is None
    itself = Index(Settings(data_dir=tmp_path / "c", embedder="e5"), embedder=TinyEmbeddings())
    assert itself.paraphrase_sentences is None  # the chunks' embedder has nothing to add to itself


def test_the_paraphrase_embedder_s_vectors_forget_deleted_chunks(tmp_path):
    index = Index(Settings(data_dir=tmp_path, paraphrase_embedder="tiny"), embedder=TinyEmbeddings())
    index.paraphrase_sentences = SentenceVectors(tmp_path / "p.npz", TinyEmbeddings(), "tiny", 100)
    add(index, "a", ["Le chat dort toute la journée sur le canapé du salon."])
    index.paraphrase_sentences.vectors(["Le chat dort toute la journée sur le canapé du salon.", "Autre."])
    index.sync_sentences()
    assert len(index.paraphrase_sentences) == 1  # the chunk's sentence only
    index.reset()
    assert len(index.paraphrase_sentences) == 0


def test_without_a_sentence_index_sentence_search_finds_nothing(tmp_path):
    index = Index(Settings(data_dir=tmp_path), embedder=TinyEmbeddings())  # the default: no sentence index
    add(index, "a", ["Le chat dort toute la journée sur le canapé du salon."])
    assert index.embed_sentence_query("chat") is None and index.retrieval_sentences is None
    assert index.sync_sentences() > 0  # the chunks' embedder's vectors only


def test_the_ocr_flag_of_a_chunk_reaches_its_hits(index):
    chunks = list(chunk_pages([Page(doc_id="scan", page=1, text="Texte lu par OCR sur la page.", ocr=True)], 200, 40))
    info = DocumentInfo(doc_id="scan", title="Scan", content_hash="scan")
    index.replace_document(info, chunks, index.embedder.embed_documents([c.text for c in chunks]))
    hit = index.lexical_search("texte", 1)[0]
    assert hit.ocr


def test_corpus_similarity_is_the_cosine_to_the_centroid_and_the_mean_of_the_nearest_chunks(index):
    add(index, "a", ["aaaa"])  # TinyEmbeddings: [5, 1, 1, 1, 1]
    add(index, "b", ["eeee"])  # [1, 5, 1, 1, 1]
    chunks = np.array([[5, 1, 1, 1, 1], [1, 5, 1, 1, 1]], dtype=float)
    chunks /= np.linalg.norm(chunks, axis=1, keepdims=True)
    centroid = chunks.mean(axis=0) / np.linalg.norm(chunks.mean(axis=0))
    query = np.array([0.0, 0.0, 0.0, 0.0, 1.0])  # nowhere near either
    near, nearest = index.corpus_similarity(query, neighbours=1)
    assert near == pytest.approx(centroid @ query, abs=1e-5)
    assert nearest == pytest.approx(max(chunks @ query), abs=1e-5)
    # a document of fewer chunks than `neighbours` is a subject of its own: the mean over its chunks when nearer
    assert index.corpus_similarity(query, neighbours=5)[1] == pytest.approx(max(chunks @ query), abs=1e-5)
    on_subject = np.array([3.0, 3.0, 1.0, 1.0, 1.0])
    assert index.corpus_similarity(on_subject, 1)[0] > near  # between the two documents: near their centroid


def test_corpus_similarity_of_an_empty_index_is_zero(index):
    assert index.corpus_similarity(np.ones(5), 10) == (0.0, 0.0)
