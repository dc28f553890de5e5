"""The only place that opens the index: a Chroma collection of chunk embeddings plus a BM25 index built from
the same chunks, and the embedder that goes with them."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
from langchain_core.embeddings import Embeddings

from docqa.analysis import tokenize
from docqa.embeddings import embedder_name, get_embedder
from docqa.errors import ConfigError, DocqaError, EmbeddingModelMismatchError, IndexMissingError
from docqa.schema import Chunk, DocumentInfo, Hit
from docqa.settings import Settings

log = logging.getLogger(__name__)

_NO_PAGE = -1  # Chroma metadata cannot hold None
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
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    except Exception as exc:  # OSError, sqlite and chroma errors: all mean the same to the user
        raise DocqaError(f"cannot open the index under {path}: {exc}; check DOCQA_DATA_DIR") from None


class Index:
    """Chunks with their embeddings (Chroma) and a lexical BM25 index kept consistent with them.

    The collection records the embedding model it was built with; opening it with another model raises
    `EmbeddingModelMismatchError` instead of mixing vectors of different models.
    """

    def __init__(self, settings: Settings, embedder: Embeddings | None = None):
        self.settings = settings
        self.embedder = embedder or get_embedder(settings.embedder)
        self.model = embedder_name(self.embedder)
        self._client = open_chroma(settings)
        self._lock = threading.RLock()
        self._collection = self._open_collection()
        self._cache: _Snapshot | None = None

    # ---- collection -------------------------------------------------------------------------------
    def _open_collection(self) -> Any:
        collection = self._client.get_or_create_collection(
            self.settings.collection,
            metadata={"embedding_model": self.model, "hnsw:space": "cosine"},
        )
        built_with = (collection.metadata or {}).get("embedding_model")
        if built_with and built_with != self.model and collection.count() > 0:
            raise EmbeddingModelMismatchError(
                f"the index was built with the embedding model {built_with!r} but the settings select "
                f"{self.model!r}; set DOCQA_EMBEDDER back, or rebuild with `docqa ingest --rebuild`"
            )
        return collection

    def reset(self) -> None:
        """Delete everything indexed (used by `docqa ingest --rebuild`)."""
        with self._lock:
            # chroma raises different types for a missing collection across versions
            with contextlib.suppress(Exception):
                self._client.delete_collection(self.settings.collection)
            shutil.rmtree(self._bm25_dir, ignore_errors=True)
            self._collection = self._open_collection()
            self._cache = None

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
            for i in range(0, len(chunks), 1000):  # Chroma caps the batch size
                part = chunks[i : i + 1000]
                self._collection.upsert(
                    ids=[c.id for c in part],
                    documents=[c.text for c in part],
                    embeddings=embeddings[i : i + 1000],
                    metadatas=[
                        {
                            **doc_meta,
                            "doc_id": c.doc_id,
                            "page": _NO_PAGE if c.page is None else c.page,
                            "start": c.start,
                            "end": c.end,
                        }
                        for c in part
                    ],
                )
            self._delete(sorted(old_ids - set(new_ids)))
            self._cache = None

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks; returns how many were removed."""
        with self._lock:
            ids = self._collection.get(where={"doc_id": doc_id}, include=[])["ids"]
            self._delete(ids)
            self._cache = None
            return len(ids)

    def _delete(self, ids: list[str], batch: int = 1000) -> None:
        for i in range(0, len(ids), batch):
            self._collection.delete(ids=ids[i : i + batch])

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

    def lexical_search(self, query: str, k: int, docs: list[str] | None = None) -> list[Hit]:
        snap = self._snapshot()
        if not snap.ids:
            return []
        tokens = tokenize(query)
        if not tokens:
            return []
        scores = snap.bm25.get_scores(tokens)
        if docs:
            scores = np.where(snap.doc_mask(docs), scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [snap.hit(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def dense_search(self, query: str, k: int, docs: list[str] | None = None) -> list[Hit]:
        snap = self._snapshot()
        if not snap.ids:
            return []
        vector = self.embedder.embed_query(query)
        where = {"doc_id": {"$in": list(docs)}} if docs else None
        result = self._collection.query(
            query_embeddings=[vector], n_results=min(k, len(snap.ids)), where=where, include=["distances"]
        )
        hits = []
        for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            i = snap.position.get(chunk_id)
            if i is not None:
                hits.append(snap.hit(i, 1.0 - float(distance)))
        return hits

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

    def _snapshot(self) -> _Snapshot:
        with self._lock:
            if self._cache is None:
                self._cache = _Snapshot(self._read_all(), self._bm25_dir)
            return self._cache


class _Snapshot:
    """All chunks in memory (ids, texts, metadata) and the BM25 index over them, rebuilt from the store's
    chunks when missing or stale (its fingerprint is the sorted chunk ids)."""

    def __init__(self, data: dict[str, Any], bm25_dir: Path):
        order = sorted(range(len(data["ids"])), key=lambda i: data["ids"][i])
        self.ids: list[str] = [data["ids"][i] for i in order]
        self.texts: list[str] = [data["documents"][i] for i in order]
        metas = [data["metadatas"][i] for i in order]
        self.doc_ids = [m["doc_id"] for m in metas]
        self.pages = [None if m["page"] == _NO_PAGE else int(m["page"]) for m in metas]
        self.starts = [int(m["start"]) for m in metas]
        self.ends = [int(m["end"]) for m in metas]
        self.position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        self.by_page: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        for i, key in enumerate(zip(self.doc_ids, self.pages, strict=True)):
            self.by_page[key].append(i)
        self.documents: dict[str, DocumentInfo] = {}
        counts: dict[str, int] = defaultdict(int)
        versions: dict[str, set[tuple[str, int]]] = defaultdict(set)
        for m in metas:
            counts[m["doc_id"]] += 1
            versions[m["doc_id"]].add((m.get("content_hash", ""), m.get("doc_chunks", -1)))
            if m["doc_id"] not in self.documents:
                self.documents[m["doc_id"]] = DocumentInfo(
                    doc_id=m["doc_id"], **{k: m[k] for k in _DOC_FIELDS if k in m}
                )
        for doc_id, n in counts.items():
            self.documents[doc_id].chunks = n
            # a write interrupted half-way leaves chunks of two versions, or too few: no valid content hash,
            # so that the next ingest rewrites the document
            if len(versions[doc_id]) != 1 or next(iter(versions[doc_id]))[1] != n:
                self.documents[doc_id].content_hash = ""
        self.titles = [self.documents[d].title for d in self.doc_ids]
        self.bm25 = self._lexical_index(bm25_dir) if self.ids else None
        self.df = np.diff(self.bm25.scores["indptr"]) if self.bm25 is not None else np.zeros(0)

    def _lexical_index(self, directory: Path) -> bm25s.BM25:
        fingerprint = hashlib.sha256("\n".join(self.ids).encode()).hexdigest()
        stamp = directory / "fingerprint.json"
        if stamp.exists() and json.loads(stamp.read_text()).get("fingerprint") == fingerprint:
            try:
                return bm25s.BM25.load(str(directory))
            except Exception as exc:  # a damaged file is rebuilt, never fatal
                log.warning("rebuilding the lexical index (%s)", exc)
        corpus = [tokenize(f"{title}\n{text}") for title, text in zip(self.titles, self.texts, strict=True)]
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
        bm25 = bm25s.BM25()
        bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocab), show_progress=False)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            bm25.save(str(directory))
            stamp.write_text(json.dumps({"fingerprint": fingerprint}))
        except OSError as exc:  # read-only data dir: serve from memory
            log.warning("cannot save the lexical index under %s: %s", directory, exc)
        return bm25

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
        )
