"""The only place that opens the index: a Chroma collection of chunk embeddings plus a BM25 index built from
the same chunks, and the embedder that goes with them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bm25s
import httpx
import numpy as np
from chromadb.errors import ChromaError
from langchain_core.embeddings import Embeddings

from docqa.embeddings import LazyEmbeddings, embedder_name
from docqa.errors import (
    ConfigError,
    EmbeddingModelMismatchError,
    IndexMissingError,
    IndexStorageError,
)
from docqa.private import private_folder
from docqa.schema import Chunk, DocumentInfo, Hit
from docqa.sentences import SentenceVectors
from docqa.settings import Settings
from docqa.text import sentence_spans, terms, tokenize

log = logging.getLogger(__name__)

VOCABULARY_MIN_CHUNKS = 2  # a word of one chunk only is too rare to translate a question's word to
_PAGE_NUMBER = re.compile(r"^\d+|\d+$")  # "11La Recommandation..." on page 11, "... 12" on page 12
_NO_PAGE = -1  # Chroma metadata cannot hold None
_WRITE_BATCH = 1000  # Chroma caps the batch size
_DOC_FIELDS = ("title", "publisher", "year", "language", "url", "source", "content_hash", "pages")


def open_chroma(settings: Settings) -> Any:
    """A Chroma client as the settings say: embedded `PersistentClient` (default) or `HttpClient`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_mode == "http":
        headers = {}
        if settings.chroma_token is not None:
            headers["Authorization"] = f"Bearer {settings.chroma_token.get_secret_value()}"
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                headers=headers,
                settings=ChromaSettings(anonymized_telemetry=False),
            )
        except Exception as exc:
            raise ConfigError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} ({exc}); "
                "start it with `chroma run --path DIR` or set DOCQA_CHROMA_MODE=embedded"
            ) from None
    path = settings.data_dir / "chroma"
    try:
        private_folder(path)
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    except Exception as exc:  # OSError, sqlite and chroma errors: all mean the same to the user
        raise storage_failure(settings, exc) from None


def storage_failure(settings: Settings, exc: Exception) -> IndexStorageError:
    """`exc`, raised by the index's storage, as an error that says where and, when it can tell, why."""
    if settings.chroma_mode == "http":
        where = f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
        return IndexStorageError(f"{where} failed: {exc}; check that it is running (`chroma run`)")
    hint = "check DOCQA_DATA_DIR"
    try:
        free_mb = shutil.disk_usage(settings.data_dir).free / 2**20
        if os.statvfs(settings.data_dir).f_flag & os.ST_RDONLY:
            hint = "the folder is on a read-only file system: set DOCQA_DATA_DIR to a writable folder"
        elif free_mb < 64:
            hint = f"the disk is full ({free_mb:.1f} MB free): free some space, then run `docqa ingest` again"
    except OSError:
        pass
    return IndexStorageError(f"cannot use the index under {settings.data_dir}: {exc}; {hint}")


_STORAGE_ERRORS = (ChromaError, OSError, httpx.HTTPError)


class _Collection:
    """A Chroma collection whose storage errors (chroma, OS, HTTP) become `IndexStorageError`s, after
    `on_failure` has been called."""

    def __init__(self, collection: Any, settings: Settings, on_failure: Callable[[], None]):
        self._collection = collection
        self._settings = settings
        self._on_failure = on_failure

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except _STORAGE_ERRORS as exc:
                self._on_failure()
                raise storage_failure(self._settings, exc) from None

        return call


class Index:
    """Chunks with their embeddings (Chroma) and a lexical BM25 index kept consistent with them.

    The collection records the embedding model it was built with; opening it with another model raises
    `EmbeddingModelMismatchError` instead of mixing vectors of different models.
    """

    def __init__(self, settings: Settings, embedder: Embeddings | None = None):
        self.settings = settings
        self.embedder = embedder or LazyEmbeddings(settings.embedder)
        self.model = embedder_name(self.embedder)
        self._lock = threading.RLock()
        self._client = open_chroma(settings)
        self._opened: _Collection | None = self._open_collection()
        self._cache: _Snapshot | None = None
        self._cache_state: tuple[int, ...] | None = None
        self.sentences = SentenceVectors(
            settings.data_dir / "sentences" / f"{settings.collection}.npz", self.embedder, self.model
        )

    # ---- collection -------------------------------------------------------------------------------
    @property
    def _collection(self) -> _Collection:
        with self._lock:
            if self._opened is None:
                try:
                    self._client = open_chroma(self.settings)
                except ConfigError as exc:  # the Chroma server is still unreachable
                    raise IndexStorageError(str(exc)) from None
                self._opened = self._open_collection()
            return self._opened

    def _open_collection(self) -> _Collection:
        try:
            collection = _Collection(
                self._client.get_or_create_collection(
                    self.settings.collection,
                    metadata={"embedding_model": self.model, "hnsw:space": "cosine"},
                ),
                self.settings,
                on_failure=self._drop_client,
            )
        except _STORAGE_ERRORS as exc:
            raise storage_failure(self.settings, exc) from None
        built_with = (collection.metadata or {}).get("embedding_model")
        if built_with and built_with != self.model and collection.count() > 0:
            raise EmbeddingModelMismatchError(
                f"the index was built with the embedding model {built_with!r} but the settings select "
                f"{self.model!r}; set DOCQA_EMBEDDER back, or rebuild with `docqa ingest --rebuild`"
            )
        return collection

    def _drop_client(self) -> None:
        """After a storage error (a full disk), Chroma's in-process state can hang the next calls: open a new
        one at the next use."""
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._lock:
            SharedSystemClient.clear_system_cache()
            self._opened = None

    def reset(self) -> None:
        """Delete everything indexed (used by `docqa ingest --rebuild`)."""
        with self._lock:
            # chroma raises different types for a missing collection across versions
            self._collection  # noqa: B018 - reopens the client after a storage failure
            with contextlib.suppress(Exception):
                self._client.delete_collection(self.settings.collection)
            shutil.rmtree(self._bm25_dir, ignore_errors=True)
            self.sentences.clear()
            self._opened = self._open_collection()
            self._changed()

    def count(self) -> int:
        return self._collection.count()

    # ---- writing ----------------------------------------------------------------------------------
    def replace_document(self, info: DocumentInfo, chunks: list[Chunk], embeddings: list[list[float]]) -> None:
        """Store `chunks` as the whole content of document `info.doc_id`: new chunks are added first, then
        the document's chunks that are no longer part of it are deleted (readers never see it empty)."""
        if len(chunks) != len(embeddings):
            raise ValueError(f"got {len(chunks)} chunks but {len(embeddings)} embeddings")
        with self._lock:
            old_ids = set(self._collection.get(where={"doc_id": info.doc_id}, include=[])["ids"])
            new_ids = [c.id for c in chunks]
            doc_meta = {k: v for k, v in info.model_dump(include=set(_DOC_FIELDS)).items() if v is not None}
            doc_meta["doc_chunks"] = len(chunks)  # lets a reader tell a complete document from an interrupted write
            for i in range(0, len(chunks), _WRITE_BATCH):
                part = chunks[i : i + _WRITE_BATCH]
                self._collection.upsert(
                    ids=[c.id for c in part],
                    documents=[c.text for c in part],
                    embeddings=embeddings[i : i + _WRITE_BATCH],
                    metadatas=[
                        {
                            **doc_meta,
                            "doc_id": c.doc_id,
                            "page": _NO_PAGE if c.page is None else c.page,
                            "start": c.start,
                            "end": c.end,
                            "section": c.section,
                        }
                        for c in part
                    ],
                )
            self._delete(sorted(old_ids - set(new_ids)))
            self._changed()

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks; returns how many were removed."""
        with self._lock:
            ids = self._collection.get(where={"doc_id": doc_id}, include=[])["ids"]
            self._delete(ids)
            self._changed()
            return len(ids)

    def sync_sentences(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Embed the sentences of the chunks, and the words of the corpus's vocabulary, that have no vector yet,
        and forget those of deleted chunks; returns how many texts were embedded."""
        snap = self._snapshot()
        texts = [text[s:e] for text in snap.texts for s, e in sentence_spans(text)] + snap.vocabulary()
        embedded = self.sentences.sync(texts, self.settings.embed_batch_size, progress)
        if embedded:
            with self._lock:
                self._changed(chunks=False)
        return embedded

    def _delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), _WRITE_BATCH):
            self._collection.delete(ids=ids[i : i + _WRITE_BATCH])

    # ---- reading ----------------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        """What is indexed, one entry per document, sorted by id."""
        return sorted(self._snapshot().documents.values(), key=lambda d: d.doc_id)

    def page_text(self, doc_id: str, page: int | None) -> str:
        """The cleaned text of one page (the whole document when it has no pages), rebuilt from its chunks at
        their offsets, so that chunk offsets index into it; text between chunks was whitespace."""
        snap = self._snapshot()
        rows = [i for i in snap.by_page.get((doc_id, page), [])]
        if not rows:
            return ""
        chars = [" "] * max(snap.ends[i] for i in rows)
        for i in rows:
            chars[snap.starts[i] : snap.ends[i]] = snap.texts[i]
        return "".join(chars)

    def lexical_search(self, query: str | list[str], k: int, docs: list[str] | None = None) -> list[Hit]:
        """The `k` best chunks by BM25 for `query` (a text, or its analysed tokens)."""
        snap = self._snapshot()
        if not snap.ids:
            return []
        tokens = tokenize(query) if isinstance(query, str) else query
        if not tokens:
            return []
        scores = snap.bm25.get_scores(tokens)
        if docs:
            scores = np.where(snap.doc_mask(docs), scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [snap.hit(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def dense_search(self, vector: list[float], k: int, docs: list[str] | None = None) -> list[Hit]:
        """The `k` chunks nearest to the query embedding `vector`."""
        snap = self._snapshot()
        if not snap.ids:
            return []
        where = {"doc_id": {"$in": list(docs)}} if docs else None
        # ask for as many more as there are stored chunks not served (half-written documents)
        result = self._collection.query(
            query_embeddings=[list(vector)],
            n_results=min(k, len(snap.ids)) + snap.hidden,
            where=where,
            include=["distances"],
        )
        hits = []
        for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            i = snap.position.get(chunk_id)
            if i is not None:
                hits.append(snap.hit(i, 1.0 - float(distance)))
        return hits[:k]

    def sentence_search(self, vector: list[float], k: int, docs: list[str] | None = None) -> list[Hit]:
        """The `k` chunks whose nearest sentence is nearest to the query embedding `vector` (its cosine as the
        score): a passage is found by its one sentence that answers, which its whole-chunk embedding dilutes."""
        snap = self._snapshot()
        if not snap.ids:
            return []
        matrix, owners = self._sentence_matrix(snap)
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

    def _sentence_matrix(self, snap: _Snapshot) -> tuple[np.ndarray, np.ndarray]:
        """The normalised vectors of the served chunks' sentences, and the chunk each belongs to."""
        if snap.sentence_matrix is None:
            owners = [(i, text[s:e]) for i, text in enumerate(snap.texts) for s, e in sentence_spans(text)]
            if not owners:
                return np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=np.int64)
            matrix = self.sentences.vectors([sentence for _, sentence in owners])
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
            snap.sentence_matrix = (matrix, np.array([i for i, _ in owners], dtype=np.int64))
        return snap.sentence_matrix

    def idf(self, tokens: list[str]) -> list[float]:
        """Inverse document frequency of analysed tokens over the indexed chunks (0 for unknown ones)."""
        snap = self._snapshot()
        if snap.bm25 is None:
            return [0.0] * len(tokens)
        vocab, n = snap.bm25.vocab_dict, len(snap.ids)
        out = []
        for token in tokens:
            df = int(snap.df[vocab[token]]) if token in vocab else 0
            out.append(float(np.log(1 + (n - df + 0.5) / (df + 0.5))) if df else 0.0)
        return out

    def neighbours(self, words: list[str], n: int, min_similarity: float) -> list[list[tuple[str, float]]]:
        """For each word, the `n` words of the corpus's vocabulary nearest to it in the embedding space (at least
        `min_similarity` cosine), best first: "jobs" -> [("emplois", 0.93), ("emploi", 0.84)]."""
        snap = self._snapshot()
        vocabulary = snap.vocabulary()
        if not words or not vocabulary:
            return [[] for _ in words]
        matrix = self._vocabulary_matrix(snap)
        queries = self.sentences.vectors(words)  # cached: a question's words are mostly corpus words
        queries /= np.linalg.norm(queries, axis=1, keepdims=True) + 1e-9
        similarities = queries @ matrix.T
        out = []
        for row in similarities:
            top = np.argsort(-row)[:n]
            out.append([(vocabulary[i], float(row[i])) for i in top if row[i] >= min_similarity])
        return out

    def _vocabulary_matrix(self, snap: _Snapshot) -> np.ndarray:
        if snap.vocabulary_matrix is None:
            matrix = self.sentences.vectors(snap.vocabulary())
            snap.vocabulary_matrix = matrix / (np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9)
        return snap.vocabulary_matrix

    def idf_unknown(self) -> float:
        """The inverse document frequency a token would have if no chunk contained it."""
        n = len(self._snapshot().ids)
        return float(np.log(1 + (n + 0.5) / 0.5)) if n else 0.0

    def repeats(self, doc_id: str, sentence: str) -> int:
        """At how many places (distinct page and offset) document `doc_id` says `sentence`: a running header or
        a repeated agenda slide says it on many pages (a page number at its start or end is ignored)."""
        return self._snapshot().sentence_places().get((doc_id, _PAGE_NUMBER.sub("", sentence)), 0)

    def require_content(self) -> None:
        if self.count() == 0:
            raise IndexMissingError(
                f"the index under {self.settings.data_dir} is empty: run `docqa ingest` (or `make ingest`) first"
            )

    # ---- in-memory snapshot and lexical index -----------------------------------------------------
    @property
    def _bm25_dir(self) -> Path:
        return self.settings.data_dir / "bm25" / self.settings.collection

    def _read_all(self, page: int = 2000) -> dict[str, list]:
        """Every chunk's id, text and metadata, read in pages (one large read exceeds SQLite's variable limit)."""
        data: dict[str, list] = {"ids": [], "documents": [], "metadatas": []}
        while True:
            part = self._collection.get(include=["documents", "metadatas"], limit=page, offset=len(data["ids"]))
            for key in data:
                data[key] += part[key]
            if len(part["ids"]) < page:
                return data

    @property
    def _stamp(self) -> Path:
        """A file rewritten after every change, so that other processes serving the index (`docqa serve`, the
        chat) see what a `docqa ingest` changed."""
        return self.settings.data_dir / f"{self.settings.collection}.changed"

    def _changed(self, chunks: bool = True) -> None:
        """Tell the other processes serving the index that it changed; this one rebuilds its snapshot only when
        `chunks` changed (new sentence vectors alone leave it valid)."""
        if chunks:
            self._cache = None
        with contextlib.suppress(OSError):  # unwritable: the store's own write has failed loudly already
            fresh = self._stamp.with_name(f"{self._stamp.name}.{uuid.uuid4().hex}")
            fresh.write_text("")
            fresh.replace(self._stamp)  # a new inode each time: seen even where timestamps are coarse
        if not chunks:
            self._cache_state = self._stamp_state()

    def _stamp_state(self) -> tuple[int, ...] | None:
        try:
            state = self._stamp.stat()
        except OSError:
            return None
        return state.st_ino, state.st_mtime_ns, state.st_size

    def _snapshot(self) -> _Snapshot:
        with self._lock:
            state = self._stamp_state()
            if self._cache is not None and state != self._cache_state:  # changed by another process
                self._cache = None
                self.sentences = SentenceVectors(self.sentences.path, self.embedder, self.model)
            snapshot = self._cache
            if snapshot is None:
                snapshot = _Snapshot(self._read_all(), self._bm25_dir)
                self._cache, self._cache_state = snapshot, state
            return snapshot


class _Snapshot:
    """The served chunks in memory (ids, texts, metadata) and the BM25 index over them, rebuilt from the store's
    chunks when missing or stale (its fingerprint is the sorted chunk ids).

    A write interrupted half-way (a crash, a full disk) leaves a document with chunks of two versions, or too
    few: only a complete version of each document is served (the previous one, or nothing for a new document),
    and the document gets no content hash, so that the next ingest rewrites it.
    """

    def __init__(self, data: dict[str, Any], bm25_dir: Path):
        versions: dict[str, dict[tuple[str, int], list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, m in enumerate(data["metadatas"]):
            versions[m["doc_id"]][(m.get("content_hash", ""), m.get("doc_chunks", -1))].append(i)
        self.documents: dict[str, DocumentInfo] = {}
        served: list[int] = []
        for doc_id, by_version in versions.items():
            complete = [rows for (_, n), rows in by_version.items() if len(rows) == n]
            rows = complete[0] if complete else next(iter(by_version.values()))
            m = data["metadatas"][rows[0]]
            info = DocumentInfo(doc_id=doc_id, **{k: m[k] for k in _DOC_FIELDS if k in m})
            info.chunks = len(rows) if complete else 0
            if len(by_version) != 1 or not complete:
                info.content_hash = ""
                log.warning("document %s was not completely written: run `docqa ingest` again", doc_id)
            self.documents[doc_id] = info
            served += rows if complete else []
        served.sort(key=lambda i: data["ids"][i])
        self.hidden = len(data["ids"]) - len(served)
        self.ids: list[str] = [data["ids"][i] for i in served]
        self.texts: list[str] = [data["documents"][i] for i in served]
        metas = [data["metadatas"][i] for i in served]
        self.doc_ids = [m["doc_id"] for m in metas]
        self.pages = [None if m["page"] == _NO_PAGE else int(m["page"]) for m in metas]
        self.starts = [int(m["start"]) for m in metas]
        self.ends = [int(m["end"]) for m in metas]
        self.sections = [str(m.get("section", "")) for m in metas]
        self.position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        self.by_page: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        for i, key in enumerate(zip(self.doc_ids, self.pages, strict=True)):
            self.by_page[key].append(i)
        self.titles = [self.documents[d].title for d in self.doc_ids]
        self.bm25 = self._lexical_index(bm25_dir) if self.ids else None
        self.df = np.diff(self.bm25.scores["indptr"]) if self.bm25 is not None else np.zeros(0)
        self._places: dict[tuple[str, str], int] | None = None
        self._vocabulary: list[str] | None = None
        self.vocabulary_matrix: np.ndarray | None = None
        self.sentence_matrix: tuple[np.ndarray, np.ndarray] | None = None

    def _lexical_index(self, directory: Path) -> bm25s.BM25:
        fingerprint = hashlib.sha256("\n".join(self.ids).encode()).hexdigest()
        try:
            if json.loads((directory / "fingerprint.json").read_text()).get("fingerprint") == fingerprint:
                return bm25s.BM25.load(str(directory))
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged file is rebuilt, never fatal
            log.warning("rebuilding the lexical index (%s)", exc)
        corpus = [tokenize(f"{title}\n{text}") for title, text in zip(self.titles, self.texts, strict=True)]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
        bm25 = bm25s.BM25()
        bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        # written beside, then swapped in: a reader (another process) never loads half of it
        temporary = directory.with_name(f"{directory.name}.{uuid.uuid4().hex}")
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            bm25.save(str(temporary))
            (temporary / "fingerprint.json").write_text(json.dumps({"fingerprint": fingerprint}))
            old = directory.with_name(f"{directory.name}.old.{uuid.uuid4().hex}")
            with contextlib.suppress(FileNotFoundError):
                directory.rename(old)
            temporary.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:  # read-only data dir, full disk: serve from memory
            shutil.rmtree(temporary, ignore_errors=True)
            log.warning("cannot save the lexical index under %s: %s", directory, exc)
        return bm25

    def vocabulary(self) -> list[str]:
        """The words (folded, alphabetic, three letters or more) that at least `VOCABULARY_MIN_CHUNKS` chunks use:
        what an English or paraphrased question's words are matched to."""
        if self._vocabulary is None:
            counts: Counter[str] = Counter()
            for text in self.texts:
                counts.update({w for w in terms(text) if len(w) >= 3 and w.isalpha()})
            self._vocabulary = sorted(w for w, c in counts.items() if c >= VOCABULARY_MIN_CHUNKS)
        return self._vocabulary

    def sentence_places(self) -> dict[tuple[str, str], int]:
        """(document, sentence) -> number of distinct places (page, offset) where it is written."""
        if self._places is None:
            places: dict[tuple[str, str], set[tuple[int | None, int]]] = defaultdict(set)
            for text, doc_id, page, start in zip(self.texts, self.doc_ids, self.pages, self.starts, strict=True):
                for s, e in sentence_spans(text):
                    places[(doc_id, _PAGE_NUMBER.sub("", text[s:e]))].add((page, start + s))
            self._places = {key: len(where) for key, where in places.items()}
        return self._places

    def doc_mask(self, docs: list[str]) -> np.ndarray:
        wanted = set(docs)
        return np.array([d in wanted for d in self.doc_ids])

    def hit(self, i: int, score: float) -> Hit:
        return Hit(
            chunk_id=self.ids[i],
            doc_id=self.doc_ids[i],
            title=self.titles[i],
            page=self.pages[i],
            start=self.starts[i],
            end=self.ends[i],
            text=self.texts[i],
            score=score,
            section=self.sections[i],
        )
