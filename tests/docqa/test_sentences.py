import logging

import numpy as np
import pytest

from docqa.settings import Settings
from docqa.store import Index
from docqa.store.sentences import SentenceVectors
from docqa.text import sentence_spans
from tests.docqa.test_store import TinyEmbeddings, add


class CountingEmbeddings(TinyEmbeddings):
    """TinyEmbeddings that remembers how many texts it embedded."""

    def __init__(self, name: str = "tiny"):
        super().__init__(name)
        self.embedded = 0

    def embed_documents(self, texts):
        self.embedded += len(texts)
        return super().embed_documents(texts)


SENTENCES = ["Il y a 97 startups en santé.", "Le Health Data Hub héberge les données.", "Une troisième phrase ici."]


def test_sentence_spans_skip_fragments():
    text = "Agenda\nIl y a 97 startups en santé. 1.\nFin du texte ici."
    assert [text[s:e] for s, e in sentence_spans(text)] == ["Il y a 97 startups en santé.", "Fin du texte ici."]


def test_sync_embeds_once_saves_and_reloads(tmp_path):
    path = tmp_path / "s.npz"
    embedder = CountingEmbeddings()
    vectors = SentenceVectors(path, embedder, "tiny", save_every=1000)
    # many keys, so that some digests end with a zero byte (they must survive the round trip)
    texts = SENTENCES + [f"Phrase numéro {i} du corpus." for i in range(300)]
    assert vectors.sync(texts) == len(texts)
    assert vectors.sync(texts) == 0 and embedder.embedded == len(texts)

    reloaded = SentenceVectors(path, CountingEmbeddings(), "tiny", save_every=1000)
    assert len(reloaded) == len(texts)
    got = reloaded.vectors(SENTENCES)
    assert reloaded._embedder.embedded == 0
    assert np.allclose(got, np.asarray(embedder.embed_documents(SENTENCES)))


def test_sync_forgets_sentences_no_longer_indexed(tmp_path):
    vectors = SentenceVectors(tmp_path / "s.npz", TinyEmbeddings(), "tiny", save_every=1000)
    vectors.sync(SENTENCES)
    vectors.sync(SENTENCES[:1])
    assert len(SentenceVectors(tmp_path / "s.npz", TinyEmbeddings(), "tiny", save_every=1000)) == 1


def test_missing_damaged_or_foreign_file_means_embedding_on_demand(tmp_path, caplog):
    path = tmp_path / "s.npz"
    SentenceVectors(path, TinyEmbeddings(), "other-model", save_every=1000).sync(SENTENCES)
    embedder = CountingEmbeddings()
    assert len(SentenceVectors(path, embedder, "tiny", save_every=1000)) == 0  # vectors of another model are never used

    path.write_bytes(b"not an npz file")
    with caplog.at_level(logging.WARNING):
        vectors = SentenceVectors(path, embedder, "tiny", save_every=1000)
    assert "ignoring the sentence vectors" in caplog.text
    assert vectors.vectors(SENTENCES).shape == (3, 5) and embedder.embedded == 3
    vectors.vectors(SENTENCES)
    assert embedder.embedded == 3  # kept in memory


def test_unwritable_cache_keeps_serving_from_memory(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    vectors = SentenceVectors(blocker / "sentences" / "s.npz", TinyEmbeddings(), "tiny", save_every=1000)
    with caplog.at_level(logging.WARNING):
        vectors.sync(SENTENCES)
    assert "cannot save the sentence vectors" in caplog.text
    assert vectors.vectors(SENTENCES).shape == (3, 5)


def test_index_syncs_sentences_of_its_chunks(tmp_path):
    index = Index(Settings(data_dir=tmp_path), embedder=CountingEmbeddings())
    add(index, "a", ["Les startups d’IA en santé sont 97. Elles lèvent des fonds chaque année."])
    add(index, "b", ["Le Health Data Hub héberge les données de santé."])
    assert index.sync_sentences() == 3 + 1  # and the vocabulary: "sante", a word of both chunks
    index.delete_document("b")
    assert index.sync_sentences() == 0
    assert len(index.sentences) == 2
    index.reset()
    assert len(index.sentences) == 0 and not index.sentences.path.exists()


def test_a_sync_during_a_lookup_does_not_lose_its_rows(tmp_path):
    """An upload's sync may forget sentences while a query embeds its missing ones (API threads)."""

    class SyncingMidway(TinyEmbeddings):
        def embed_documents(self, texts):
            if texts == ["Une phrase jamais vue avant."]:
                vectors.sync([])  # forgets everything while the lookup is embedding
            return super().embed_documents(texts)

    vectors = SentenceVectors(tmp_path / "s.npz", SyncingMidway(), "tiny", save_every=1000)
    vectors.sync(SENTENCES)
    assert vectors.vectors([*SENTENCES, "Une phrase jamais vue avant."]).shape == (4, 5)


def test_an_interrupted_sync_keeps_what_it_had_saved(tmp_path):
    """An ingest killed while embedding sentences (here: the model fails at the third batch) loses little."""

    class FailingAtThirdBatch(CountingEmbeddings):
        def embed_documents(self, texts):
            if self.embedded >= 4:
                raise RuntimeError("killed")
            return super().embed_documents(texts)

    path = tmp_path / "s.npz"
    texts = [f"Phrase numéro {i} du corpus." for i in range(6)]
    with pytest.raises(RuntimeError, match="killed"):
        SentenceVectors(path, FailingAtThirdBatch(), "tiny", save_every=2).sync(texts, batch_size=2)
    again = CountingEmbeddings()
    assert SentenceVectors(path, again, "tiny", save_every=2).sync(texts, batch_size=2) == 2
    assert again.embedded == 2


def test_a_lookup_that_does_not_keep_leaves_the_cache_as_it_was(tmp_path):
    vectors = SentenceVectors(tmp_path / "s.npz", TinyEmbeddings(), "tiny", save_every=1000)
    vectors.sync(SENTENCES)
    got = vectors.vectors(["un mot d'une question", SENTENCES[0]], keep=False)
    assert got.shape[0] == 2 and len(vectors) == len(SENTENCES)  # a question's words do not grow it
    vectors.vectors(["un mot d'une question"])
    assert len(vectors) == len(SENTENCES) + 1
