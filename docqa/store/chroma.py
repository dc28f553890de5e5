"""A thin adapter over one Chroma collection: typed methods, storage errors turned into `IndexStorageError`,
and the client's lifecycle (opened on first use, reopened after a failure, `close()`).

chromadb shares one `System`, with its in-memory vector index, between the embedded clients of a folder in a
process, so a fresh view of the folder (after another process wrote it) needs every client of the process
closed: docqa keeps one client per folder in a process (`FolderClient`), shared by every `ChromaChunks` over it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
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


class FolderClient:
    """The one Chroma client of this process for a store, opened on first use; `generation` counts the clients
    opened and the collections dropped (a collection handle from an earlier one is stale), `seen` is the
    freshness its state has (set by the index)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.lock = threading.RLock()  # serialises every use of the client
        self.generation = 0
        self.seen: object = None
        self._client: Any = None

    def get(self) -> Any:
        if self._client is None:
            self._client = open_chroma(self.settings)
            self.generation += 1
        return self._client

    def close(self) -> None:
        with self.lock:
            if self._client is not None:
                with contextlib.suppress(Exception):
                    self._client.close()
            self._client = None


_folders: dict[Path, FolderClient] = {}
_folders_lock = threading.Lock()


def folder_client(settings: Settings) -> FolderClient:
    """The process's client of the embedded store under the settings' data folder (a client of its own for a
    Chroma server, whose state is the server's)."""
    if settings.chroma_mode == "http":
        return FolderClient(settings)
    with _folders_lock:
        return _folders.setdefault((settings.data_dir / "chroma").resolve(), FolderClient(settings))


class ChromaChunks:
    """The chunk collection named by the settings, created with `metadata` when missing (at first use).

    Created without an embedding function (docqa embeds, Chroma only stores): its configuration then names none,
    so that another Chroma client never tries to fetch the default model.
    """

    def __init__(self, settings: Settings, metadata: Metadata):
        self._settings = settings
        self._metadata = metadata
        self.client = folder_client(settings)
        self._collection: Any = None
        self._generation = 0  # the client's generation when `_collection` was opened

    @contextlib.contextmanager
    def _guard(self) -> Iterator[Any]:
        """The collection, reopened if a failure or another user of the client closed it; a storage error closes
        the client (after a full disk its state can hang the next calls) and is raised as an `IndexStorageError`."""
        with self.client.lock:
            try:
                self.client.get()  # a new client after a close: a new generation
                if self._collection is None or self._generation != self.client.generation:
                    self._open()
                yield self._collection
            except ConfigError as exc:  # the Chroma server is still unreachable
                raise IndexStorageError(str(exc)) from None
            except _STORAGE_ERRORS as exc:
                self.close()
                raise storage_failure(self._settings, exc) from None

    def _open(self) -> None:
        client = self.client.get()
        self._collection = client.get_or_create_collection(
            self._settings.collection, metadata=self._metadata, embedding_function=None
        )
        self._generation = self.client.generation

    def close(self) -> None:
        """Release the client (of every user in this process); the next call opens a new one."""
        self.client.close()

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

    def read_all(self) -> StoredChunks:
        """Every chunk's id, text and metadata, read in pages."""
        out = StoredChunks([], [], [])
        with self._guard() as collection:
            while True:
                part = collection.get(include=["documents", "metadatas"], limit=READ_PAGE, offset=len(out.ids))
                out.ids += part["ids"]
                out.texts += part["documents"]
                out.metadatas += part["metadatas"]
                if len(part["ids"]) < READ_PAGE:
                    return out

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vector of each chunk of `ids` (float32)."""
        found: dict[str, np.ndarray] = {}
        with self._guard() as collection:
            for i in range(0, len(ids), READ_PAGE):
                part = collection.get(ids=ids[i : i + READ_PAGE], include=["embeddings"])
                found.update(zip(part["ids"], np.asarray(part["embeddings"], dtype=np.float32), strict=True))
        return found

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

    def drop(self) -> None:
        """Delete the collection and create it empty."""
        with self._guard():
            # chroma raises different types for a missing collection across versions
            with contextlib.suppress(Exception):
                self.client.get().delete_collection(self._settings.collection)
            self.client.generation += 1  # the other users' handles on the deleted collection are stale
            self._open()
