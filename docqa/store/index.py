"""The index: chunk vectors in Chroma, a lexical BM25 index built from the same chunks, the sentence vectors,
and the embedder that goes with them, kept consistent and fresh across processes.

Several processes may serve one data folder (`docqa serve --workers N`, the chat, a `docqa ingest` beside
them). Each process's Chroma client holds its own in-memory vector index, which another process's writes do not
reach: read, it misses their chunks; written, it loses them. So every use of Chroma holds the folder's lock
(shared to read, exclusive to write) and first reopens the client if another process changed the index since,
as the stamp tells; queries never touch Chroma: they read the snapshot, which holds the chunks' vectors too.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from docqa.embeddings import LazyEmbeddings, embedder_name
from docqa.errors import EmbeddingModelMismatchError, IndexMissingError
from docqa.naming import designations, ordinary_words
from docqa.schema import Chunk, DocumentInfo, Hit
from docqa.settings import Settings
from docqa.store.chroma import ChromaChunks, Metadata, storage_failure
from docqa.store.lock import FolderLock
from docqa.store.sentences import SentenceVectors
from docqa.store.snapshot import DOC_FIELDS, Snapshot, unnumbered
from docqa.store.stamp import Stamp, State
from docqa.text import fold, tokenize

log = logging.getLogger(__name__)

# 2: no `page` key for a chunk without a page (was -1), `text_hash`, and no embedding function in Chroma's config
LAYOUT = 2


def embedding_text(info: DocumentInfo, chunk: Chunk) -> str:
    """What the embedder sees of a chunk: the document title, then the chunk."""
    return f"{info.title}\n{chunk.text}"


def text_hash(text: str) -> str:
    """The key of a chunk's vector: the same embedded text always has the same vector."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def require_folder(settings: Settings) -> None:
    """`IndexMissingError` when the data folder does not exist: a face that only reads the index must not create
    one there (an empty folder left behind would hide a mistyped DOCQA_DATA_DIR)."""
    if not settings.data_dir.exists():
        raise IndexMissingError(
            f"there is no index under {settings.data_dir.absolute()}: run `docqa ingest` (or `make ingest`) there, or "
            "set DOCQA_DATA_DIR"
        )


class Index:
    """Chunks with their embeddings (Chroma) and a lexical BM25 index kept consistent with them.

    The collection records the embedding model it was built with; opening it with another model raises
    `EmbeddingModelMismatchError` instead of mixing vectors of different models. `close()` releases it.
    """

    def __init__(self, settings: Settings, embedder: Embeddings | None = None):
        self.settings = settings
        self.embedder = embedder or LazyEmbeddings(settings.embedder)
        self.model = embedder_name(self.embedder)
        self._lock = threading.RLock()
        self._stamp = Stamp(settings.data_dir / f"{settings.collection}.changed")
        self._folder_lock = FolderLock(settings.data_dir / f"{settings.collection}.lock")
        self.chroma = ChromaChunks(settings, self._collection_metadata())
        with self._folder(exclusive=True):  # opening creates the collection when missing: a write
            self._refresh()
            built_with, count = self.chroma.metadata.get("embedding_model"), self.chroma.count()
        if built_with and built_with != self.model and count > 0:
            raise EmbeddingModelMismatchError(
                f"the index was built with the embedding model {built_with!r} but the settings select "
                f"{self.model!r}; set DOCQA_EMBEDDER back, or rebuild with `docqa ingest --rebuild`"
            )
        self._cache: Snapshot | None = None
        self._cache_state: State = None
        self._vocabulary: tuple[list[str], np.ndarray] | None = None  # the last snapshot's, and its vectors
        self.sentence_embedder = LazyEmbeddings(settings.sentence_embedder) if settings.sentence_embedder else None
        self._open_sentence_vectors()

    def _collection_metadata(self) -> Metadata:
        """What a reader of the collection needs: which embedder (a `docqa.embeddings.get_embedder` name) made its
        vectors, the distance, and docqa's layout."""
        return {
            "embedding_model": self.model,
            "embedder": getattr(self.embedder, "spec", self.settings.embedder),
            "hnsw:space": "cosine",
            "docqa_layout": LAYOUT,
        }

    def _open_sentence_vectors(self) -> None:
        """The sentence vectors of the chunks' embedder (the selector's, and the vocabulary's), of the sentence
        index (`sentence_embedder`: the chunks' embedder's own when it is that one), and of the paraphrase embedder
        (embedded when a paraphrase needs them and kept in memory, unless the sentence index has them; none when it
        is the chunks' embedder)."""
        settings = self.settings
        self.sentences = self._sentence_vectors(self.embedder, f"{settings.collection}.npz")
        self.retrieval_sentences = (
            None
            if self.sentence_embedder is None
            else self.sentences  # the same model's vectors of the same sentences: embedded once
            if settings.sentence_embedder == settings.embedder
            else self._sentence_vectors(self.sentence_embedder)
        )
        spec = settings.paraphrase_embedder
        self.paraphrase_sentences = (
            None  # the chunks' embedder has nothing to add to itself
            if not spec or spec == settings.embedder
            else self.retrieval_sentences
            if spec == settings.sentence_embedder
            else self._sentence_vectors(LazyEmbeddings(spec))
        )

    def _sentence_vectors(self, embedder: Embeddings, file: str = "") -> SentenceVectors:
        """The sentence vectors of `embedder`, cached in `file` under `data/sentences/` (by default, one named
        after its model)."""
        model = embedder_name(embedder)
        path = self.settings.data_dir / "sentences" / (file or f"{self.settings.collection}.{model}.npz")
        return SentenceVectors(path, embedder, model, self.settings.sentence_save_every)

    def embed_sentence_query(self, text: str) -> np.ndarray | None:
        """`text` embedded as a query of the sentence index (None without one)."""
        return None if self.retrieval_sentences is None else self.retrieval_sentences.embed_query(text)

    @property
    def outdated(self) -> bool:
        """The collection holds chunks written in an older layout (rebuilt by the next `docqa ingest`)."""
        with self._store() as chroma:
            return chroma.metadata.get("docqa_layout") != LAYOUT and chroma.count() > 0

    @property
    def _lexical_dir(self) -> Path:
        return self.settings.data_dir / "bm25" / self.settings.collection

    def close(self) -> None:
        """Release the Chroma client; the index reopens it if used again."""
        self.chroma.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Delete everything indexed (used by `docqa ingest --rebuild`)."""
        with self._store(write=True) as chroma:
            chroma.drop()
            shutil.rmtree(self._lexical_dir, ignore_errors=True)
            for vectors in (self.sentences, self.retrieval_sentences, self.paraphrase_sentences):
                if vectors is not None:
                    vectors.clear()

    def count(self) -> int:
        """The chunks stored, served or not (those of a half-written document are not)."""
        snap = self._snapshot()
        return len(snap.ids) + snap.hidden

    # ---- writing ----------------------------------------------------------------------------------
    def chunk_vectors(
        self, info: DocumentInfo, chunks: list[Chunk], progress: Callable[[int], None] | None = None
    ) -> list[list[float]]:
        """The passage vectors of a document's chunks: a chunk whose embedded text is already indexed (in any
        document) reuses its vector, the others are embedded in batches, in order; `progress(n)` after each
        batch, `n` chunks done."""
        texts = [embedding_text(info, c) for c in chunks]
        hashes = [text_hash(t) for t in texts]
        with self._store() as chroma:
            known = chroma.vectors("text_hash", hashes)
        vectors = [known.get(h) for h in hashes]
        todo = [i for i, v in enumerate(vectors) if v is None]
        reused, batch = len(chunks) - len(todo), self.settings.embed_batch_size
        if progress:
            progress(reused)
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            for i, vector in zip(part, self.embedder.embed_documents([texts[i] for i in part]), strict=True):
                vectors[i] = vector
            if progress:
                progress(reused + start + len(part))
        return [v for v in vectors if v is not None]

    def replace_document(self, info: DocumentInfo, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        """Store `chunks` as the whole content of document `info.doc_id`: new chunks are added first, then
        the document's chunks that are no longer part of it are deleted (readers never see it empty)."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"got {len(chunks)} chunks but {len(embeddings)} embeddings")
        with self._store(write=True) as chroma:
            old_ids = set(chroma.ids(info.doc_id))
            doc_meta: Metadata = {k: v for k, v in info.model_dump(include=set(DOC_FIELDS)).items() if v is not None}
            doc_meta["doc_chunks"] = len(chunks)  # lets a reader tell a complete document from an interrupted write
            metadatas = [
                {**doc_meta, **_chunk_metadata(c), "text_hash": text_hash(embedding_text(info, c))} for c in chunks
            ]
            chroma.upsert([c.id for c in chunks], [c.text for c in chunks], embeddings, metadatas)
            chroma.delete(sorted(old_ids - {c.id for c in chunks}))

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks; returns how many were removed."""
        with self._store(write=True) as chroma:
            ids = chroma.ids(doc_id)
            chroma.delete(ids)
            return len(ids)

    def sync_sentences(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Embed the sentences of the chunks, and the words of the corpus's vocabulary, that have no vector yet
        (for the sentence index too), and forget those of deleted chunks; returns how many texts were embedded."""
        snap = self._snapshot()
        sentences = [sentence for _, _, sentence in snap.sentences()]
        batch = self.settings.embed_batch_size
        embedded = self.sentences.sync(sentences + snap.vocabulary(), batch, progress)
        if self.retrieval_sentences not in (None, self.sentences):
            embedded += self.retrieval_sentences.sync(sentences, batch, progress)
        if self.paraphrase_sentences not in (None, self.retrieval_sentences):
            self.paraphrase_sentences.retain(sentences)
        if embedded:
            self._announce()  # the other processes reload the sentence vectors; this one's views stay valid
        return embedded

    # ---- reading ----------------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        """What is indexed, one entry per document, sorted by id."""
        return sorted(self._snapshot().documents.values(), key=lambda d: d.doc_id)

    def designations(self) -> dict[str, frozenset[str]]:
        """Words of the documents' titles and publishers -> the documents they designate (`docqa.naming`)."""
        snap = self._snapshot()
        if snap.designations is None:
            documents, chunks = list(snap.documents.values()), Counter(snap.doc_ids)
            snap.designations = designations(documents, snap.word_counts(), chunks, self.settings.topic_word_share)
        return snap.designations

    def ordinary_words(self) -> frozenset[str]:
        """Words that name no particular thing of the documents (`docqa.naming.ordinary_words`)."""
        snap = self._snapshot()
        if snap.ordinary_words is None:
            documents, chunks = list(snap.documents.values()), Counter(snap.doc_ids)
            snap.ordinary_words = ordinary_words(documents, snap.word_counts(), chunks, self.settings.topic_word_share)
        return snap.ordinary_words

    def page_text(self, doc_id: str, page: int | None) -> str:
        """The cleaned text of one page (the whole document when it has no pages), rebuilt from its chunks at
        their offsets, so that chunk offsets index into it; text between chunks was whitespace."""
        snap = self._snapshot()
        rows = snap.by_page.get((doc_id, page), [])
        if not rows:
            return ""
        chars = [" "] * max(snap.ends[i] for i in rows)
        for i in rows:
            chars[snap.starts[i] : snap.ends[i]] = snap.texts[i]
        return "".join(chars)

    def lexical_search(self, query: str | list[str], k: int, docs: list[str] | None = None) -> list[Hit]:
        """The `k` best chunks by BM25 for `query` (a text, or its analysed tokens)."""
        snap = self._snapshot()
        if snap.lexical is None:
            return []
        tokens = tokenize(query) if isinstance(query, str) else query
        if not tokens:
            return []
        scores = snap.lexical.scores(tokens)
        if docs:
            scores = np.where(snap.doc_mask(docs), scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [snap.hit(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def dense_search(self, vector: list[float], k: int, docs: list[str] | None = None) -> list[Hit]:
        """The `k` chunks nearest to the query embedding `vector`, by cosine (the score): exact, over the
        snapshot's vectors (a few thousand chunks take well under a millisecond, less than Chroma's HNSW)."""
        snap = self._snapshot()
        if not snap.ids:
            return []
        query = np.asarray(vector, dtype=np.float32)
        similarities = snap.vectors @ (query / (np.linalg.norm(query) + 1e-9))
        if docs:
            similarities = np.where(snap.doc_mask(docs), similarities, -np.inf)
        top = np.argsort(-similarities)[:k]
        return [snap.hit(int(i), float(similarities[i])) for i in top if np.isfinite(similarities[i])]

    def corpus_similarity(self, vector: np.ndarray, neighbours: int) -> tuple[float, float]:
        """How near the query embedding `vector` is to what the documents are about: its cosine to the centroid of
        all the chunks, and its mean cosine to its `neighbours` nearest chunks (what a question on another subject
        lacks, whatever words it shares with the documents), or to all the chunks of a document that has fewer,
        when that is nearer (a one-page upload is a subject of its own: its one chunk among nine others about
        something else would put a question about it off the documents' subject)."""
        snap = self._snapshot()
        if not snap.ids:
            return 0.0, 0.0
        query = np.asarray(vector, dtype=np.float32)
        query = query / (np.linalg.norm(query) + 1e-9)
        similarities = snap.vectors @ query
        nearest = -np.partition(-similarities, min(neighbours, len(similarities)) - 1)[:neighbours]
        means = np.bincount(snap.document_of, weights=similarities) / snap.document_sizes  # each document's mean
        small = means[snap.document_sizes < neighbours]
        return float(snap.centroid() @ query), float(max([nearest.mean(), *small]))

    def sentence_search(self, vector: np.ndarray, k: int, docs: list[str] | None = None) -> list[Hit]:
        """The `k` chunks whose nearest sentence is nearest to `vector` (a query of the sentence index, its cosine
        as the score): a passage is found by its one sentence that answers, which its chunk's embedding dilutes."""
        snap = self._snapshot()
        if self.retrieval_sentences is None:
            return []
        matrix, owners = self._sentence_matrix(snap, self.retrieval_sentences)
        if not len(owners):
            return []
        query = np.asarray(vector, dtype=np.float32)
        similarities = matrix @ (query / (np.linalg.norm(query) + 1e-9))
        best = np.full(len(snap.ids), -np.inf)
        np.maximum.at(best, owners, similarities)
        if docs:
            best = np.where(snap.doc_mask(docs), best, -np.inf)
        top = np.argsort(-best)[:k]
        return [snap.hit(int(i), float(best[i])) for i in top if np.isfinite(best[i])]

    def _sentence_matrix(self, snap: Snapshot, vectors: SentenceVectors) -> tuple[np.ndarray, np.ndarray]:
        """The normalised vectors of the served chunks' sentences, and the chunk each belongs to."""
        if snap.sentence_matrix is None:
            sentences = snap.sentences()
            if not sentences:
                return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
            matrix = vectors.vectors([sentence for _, _, sentence in sentences])
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
            snap.sentence_matrix = (matrix, np.array([i for i, _, _ in sentences], dtype=np.int64))
        return snap.sentence_matrix

    def idf(self, tokens: list[str]) -> list[float]:
        """Inverse document frequency of analysed tokens over the indexed chunks (0 for unknown ones)."""
        lexical = self._snapshot().lexical
        return lexical.idf(tokens) if lexical is not None else [0.0] * len(tokens)

    def knows(self, word: str) -> bool:
        """Whether some chunk writes `word` (folded, as a whole word: "march" is not "marché")."""
        folded = fold(word)
        return any(folded in counts for counts in self._snapshot().word_counts().values())

    def knows_stem(self, word: str) -> bool:
        """Whether some chunk writes `word` or a word of its stem ("Product" for "Products")."""
        tokens = tokenize(word)
        return self.knows(word) or (bool(tokens) and all(self.idf(tokens)))

    def idf_unknown(self) -> float:
        """The inverse document frequency a token would have if no chunk contained it."""
        n = len(self._snapshot().ids)
        return float(np.log(1 + (n + 0.5) / 0.5)) if n else 0.0

    def neighbours(self, words: list[str], n: int, min_similarity: float) -> list[list[tuple[str, float]]]:
        """For each word, the `n` words of the corpus's vocabulary nearest to it in the embedding space (at least
        `min_similarity` cosine), best first: "jobs" -> [("emplois", 0.93), ("emploi", 0.84)]."""
        snap = self._snapshot()
        vocabulary = snap.vocabulary()
        if not words or not vocabulary:
            return [[] for _ in words]
        matrix = self._vocabulary_matrix(snap)
        queries = self.sentences.vectors(words, keep=False)  # the corpus's words are cached, a question's are not
        queries /= np.linalg.norm(queries, axis=1, keepdims=True) + 1e-9
        similarities = queries @ matrix.T
        out = []
        for row in similarities:
            top = np.argsort(-row)[:n]
            out.append([(vocabulary[i], float(row[i])) for i in top if row[i] >= min_similarity])
        return out

    def _vocabulary_matrix(self, snap: Snapshot) -> np.ndarray:
        if snap.vocabulary_matrix is None:
            words = snap.vocabulary()
            if self._vocabulary is not None and self._vocabulary[0] == words:  # most changes keep the vocabulary
                snap.vocabulary_matrix = self._vocabulary[1]
            else:
                matrix = self.sentences.vectors(words)
                snap.vocabulary_matrix = matrix / (np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9)
            self._vocabulary = (words, snap.vocabulary_matrix)
        return snap.vocabulary_matrix

    def repeats(self, doc_id: str, sentence: str) -> int:
        """At how many places (distinct page and offset) document `doc_id` says `sentence`: a running header or
        a repeated agenda slide says it on many pages (a page number at its start or end is ignored)."""
        return self._snapshot().sentence_places().get((doc_id, unnumbered(sentence)), 0)

    def require_content(self) -> None:
        if self.count() == 0:
            raise IndexMissingError(
                f"the index under {self.settings.data_dir.absolute()} is empty: run `docqa ingest` (or `make ingest`) "
                "first, or set DOCQA_DATA_DIR"
            )

    # ---- freshness --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _folder(self, exclusive: bool = False, wait: bool = True) -> Iterator[bool]:
        """The data folder's lock (see the module's docstring); yields False when not `wait`ing and a writer holds
        it."""
        try:
            section = self._folder_lock.exclusive() if exclusive else self._folder_lock.shared(wait)
            with section as held:
                yield held is not False
        except OSError as exc:  # the lock file cannot be made: the data folder is unusable
            raise storage_failure(self.settings, exc) from None

    @contextlib.contextmanager
    def _store(self, write: bool = False, wait: bool = True) -> Iterator[ChromaChunks | None]:
        """The collection, under the folder's lock, its client reopened first if another process changed the index
        since it was opened; None when not `wait`ing and another process is writing. A write moves the stamp
        before and after it: a writer killed half-way still makes the others reopen."""
        with self._lock, self._folder(exclusive=write, wait=wait) as held:
            if not held:
                yield None
                return
            self._refresh()
            if write:
                self.chroma.client.seen = self._stamp.touch()
            try:
                yield self.chroma
            finally:
                if write:
                    self._cache = None
                    self.chroma.client.seen = self._stamp.touch()

    def _refresh(self) -> None:
        """Under the folder's lock: close this process's Chroma client if another process changed the index since
        it was opened, so that the next call opens one on what is on disk now."""
        state = self._stamp.state()
        if state != self.chroma.client.seen:
            self.chroma.close()
            self.chroma.client.seen = state

    def _announce(self) -> None:
        """Move the stamp for a change outside Chroma (new sentence vectors), keeping this process's snapshot and
        client, unless another process changed the index meanwhile."""
        with self._lock, self._folder(exclusive=True):
            before, after = self._stamp.state(), self._stamp.touch()
            if self._cache_state == before:
                self._cache_state = after
            if self.chroma.client.seen == before:
                self.chroma.client.seen = after

    def _snapshot(self) -> Snapshot:
        """The served chunks, read again when the index changed; while another process is writing, the previous
        complete snapshot is served rather than waiting for it."""
        with self._lock:
            previous = self._cache
            if previous is not None and self._stamp.state() == self._cache_state:
                return previous
            with self._store(wait=previous is None) as chroma:
                if chroma is None:  # another process is writing (without a previous snapshot, it waited)
                    return previous  # type: ignore[return-value]
                state = self._stamp.state()
                data = chroma.read_all()
                vectors = previous.vectors_of(data) if previous is not None else {}
                vectors.update(chroma.embeddings([i for i in data.ids if i not in vectors]))
            if previous is not None:  # changed by another process: its sentence vectors too
                self._open_sentence_vectors()
            self._cache, self._cache_state = Snapshot(data, vectors, self._lexical_dir), state
            return self._cache


def _chunk_metadata(chunk: Chunk) -> Metadata:
    """Where a chunk is; no `page` key when the document has no pages (Chroma metadata cannot hold None)."""
    where: Metadata = {
        "doc_id": chunk.doc_id,
        "start": chunk.start,
        "end": chunk.end,
        "section": chunk.section,
        "ocr": chunk.ocr,
    }
    if chunk.page is not None:
        where["page"] = chunk.page
    return where
