"""A thin adapter over one Chroma collection: typed methods, storage errors turned into `IndexStorageError`,
and the client's lifecycle (opened on first use, reopened after a failure, `close()`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from chromadb.errors import ChromaError

from docqa.errors import ConfigError, IndexStorageError
from docqa.private import private_folder
from docqa.settings import Settings

WRITE_BATCH = 1000  # Chroma caps the batch size
READ_PAGE = 2000  # one large read exceeds SQLite's variable limit
_STORAGE_ERRORS = (ChromaError, OSError, httpx.HTTPError)

Metadata = dict[str, str | int | float | bool]


@dataclass
class StoredChunks:
    """Chunks as Chroma holds them, one row per chunk, in the store's order."""

    ids: list[str]
    texts: list[str]
    metadatas: list[Metadata]
    embeddings: list[list[float]]


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


class ChromaChunks:
    """The chunk collection named by the settings, created with `metadata` when missing.

    Created without an embedding function (docqa embeds, Chroma only stores): its configuration then names none,
    so that another Chroma client never tries to fetch the default model.
    """

    def __init__(self, settings: Settings, metadata: Metadata):
        self._settings = settings
        self._metadata = metadata
        self._lock = threading.RLock()
        self._client: Any = open_chroma(settings)
        self._collection: Any = None
        with self._guard():
            self._collection = self._open()

    def _open(self) -> Any:
        return self._client.get_or_create_collection(
            self._settings.collection, metadata=self._metadata, embedding_function=None
        )

    @contextlib.contextmanager
    def _guard(self) -> Iterator[Any]:
        """The collection, reopened if a failure closed it; a storage error closes the client (after a full
        disk its state can hang the next calls) and is raised as an `IndexStorageError`."""
        with self._lock:
            try:
                if self._collection is None:
                    if self._client is None:
                        self._client = open_chroma(self._settings)
                    self._collection = self._open()
                yield self._collection
            except ConfigError as exc:  # the Chroma server is still unreachable
                raise IndexStorageError(str(exc)) from None
            except _STORAGE_ERRORS as exc:
                self.close()
                raise storage_failure(self._settings, exc) from None

    def close(self) -> None:
        """Release the client; the next call opens a new one."""
        with self._lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close()
            self._client = self._collection = None

    @property
    def metadata(self) -> dict[str, Any]:
        with self._guard() as collection:
            return dict(collection.metadata or {})

    def count(self) -> int:
        with self._guard() as collection:
            return int(collection.count())

    def ids(self, doc_id: str) -> list[str]:
        """The ids of a document's chunks."""
        with self._guard() as collection:
            return list(collection.get(where={"doc_id": doc_id}, include=[])["ids"])

    def read_all(self, embeddings: bool = False) -> StoredChunks:
        """Every chunk's id, text and metadata (and vector with `embeddings`), read in pages."""
        include = ["documents", "metadatas", *(["embeddings"] if embeddings else [])]
        out = StoredChunks([], [], [], [])
        with self._guard() as collection:
            while True:
                part = collection.get(include=include, limit=READ_PAGE, offset=len(out.ids))
                out.ids += part["ids"]
                out.texts += part["documents"]
                out.metadatas += part["metadatas"]
                if embeddings:
                    out.embeddings += [list(map(float, v)) for v in part["embeddings"]]
                if len(part["ids"]) < READ_PAGE:
                    return out

    def vectors(self, key: str, values: list[str]) -> dict[str, list[float]]:
        """The stored vector of one chunk for each value of metadata `key` found among `values`."""
        found: dict[str, list[float]] = {}
        values = list(dict.fromkeys(values))
        with self._guard() as collection:
            for i in range(0, len(values), WRITE_BATCH):
                part = collection.get(
                    where={key: {"$in": values[i : i + WRITE_BATCH]}}, include=["metadatas", "embeddings"]
                )
                for meta, vector in zip(part["metadatas"], part["embeddings"], strict=True):
                    found[str(meta[key])] = list(map(float, vector))
        return found

    def upsert(
        self, ids: list[str], texts: list[str], embeddings: list[list[float]], metadatas: list[Metadata]
    ) -> None:
        with self._guard() as collection:
            for i in range(0, len(ids), WRITE_BATCH):
                end = i + WRITE_BATCH
                collection.upsert(
                    ids=ids[i:end], documents=texts[i:end], embeddings=embeddings[i:end], metadatas=metadatas[i:end]
                )

    def delete(self, ids: list[str]) -> None:
        with self._guard() as collection:
            for i in range(0, len(ids), WRITE_BATCH):
                collection.delete(ids=ids[i : i + WRITE_BATCH])

    def nearest(self, vector: list[float], n: int, docs: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) of the `n` chunks nearest to `vector`, optionally only of documents `docs`."""
        where = {"doc_id": {"$in": list(docs)}} if docs else None
        with self._guard() as collection:
            result = collection.query(query_embeddings=[list(vector)], n_results=n, where=where, include=["distances"])
        return [(str(i), float(d)) for i, d in zip(result["ids"][0], result["distances"][0], strict=True)]

    def drop(self) -> None:
        """Delete the collection and create it empty."""
        with self._guard():
            # chroma raises different types for a missing collection across versions
            with contextlib.suppress(Exception):
                self._client.delete_collection(self._settings.collection)
            self._collection = self._open()
