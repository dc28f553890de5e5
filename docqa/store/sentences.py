"""Sentence embeddings of the indexed chunks, computed at ingest and kept on disk, so that scoring the sentences
of a query's candidates costs a lookup instead of running the embedding model on ~150 sentences."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from docqa.private import private_folder

log = logging.getLogger(__name__)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class SentenceVectors:
    """Passage embeddings of sentences (float16) by text, loaded from `path` (an .npz written atomically by
    `sync`).

    A sentence missing from the file (an index written by another machine, an ingest killed before the end) is
    embedded when first needed and kept in memory: the file is a cache, never a source of truth.
    """

    def __init__(self, path: Path, embedder: Embeddings, model: str, save_every: int):
        self.path = path
        self._save_every = save_every
        self._embedder = embedder
        self._model = model
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._vectors: dict[bytes, np.ndarray] = self._load()

    def _load(self) -> dict[bytes, np.ndarray]:
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path) as data:
                if str(data["model"]) != self._model:
                    return {}
                return dict(zip((k.tobytes() for k in data["keys"]), data["vectors"], strict=True))
        except Exception as exc:  # a damaged cache is recomputed, never fatal
            log.warning("ignoring the sentence vectors in %s (%s)", self.path, exc)
            return {}

    def __len__(self) -> int:
        return len(self._vectors)

    def vectors(self, texts: list[str], keep: bool = True) -> np.ndarray:
        """One row per text, embedding the ones not seen before (kept for the next time unless not `keep`: a
        question's words are not the corpus's, and keeping them would grow the cache with every request)."""
        keys = [_key(t) for t in texts]
        with self._lock:  # a local copy: a concurrent `sync` may replace the dict meanwhile
            found = {k: self._vectors[k] for k in keys if k in self._vectors}
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            found.update(self._add(missing) if keep else self._embed(missing))
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """`text` embedded as a query by the model of these vectors (never kept)."""
        return np.asarray(self._embedder.embed_query(text), dtype=np.float32)

    def sync(
        self, texts: Iterable[str], batch_size: int = 64, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Hold exactly the sentences `texts` (embedding the new ones, forgetting the others), then save the
        file atomically; while embedding, the file is also saved after every `save_every` new sentences, so that
        an interrupted sync loses little. Returns how many sentences were embedded."""
        with self._sync_lock:  # one sync at a time (two uploads to the API)
            texts = list(dict.fromkeys(texts))
            keys = [_key(t) for t in texts]
            with self._lock:
                missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._vectors))
            unsaved = 0
            for i in range(0, len(missing), batch_size):
                unsaved += len(self._add(missing[i : i + batch_size]))
                if unsaved >= self._save_every:
                    with self._lock:
                        rows = list(self._vectors.items())
                    self._save(rows)
                    unsaved = 0
                if progress:
                    progress(min(i + batch_size, len(missing)), len(missing))
            wanted = set(keys)
            with self._lock:
                stale = len(self._vectors) != len(wanted)
                self._vectors = {k: v for k, v in self._vectors.items() if k in wanted}
                rows = list(self._vectors.items())
            if missing or stale or not self.path.exists():
                self._save(rows)
            return len(missing)

    def retain(self, texts: Iterable[str]) -> None:
        """Forget the vectors of other texts than `texts` (in memory: deleted chunks' sentences)."""
        wanted = {_key(t) for t in texts}
        with self._lock:
            self._vectors = {k: v for k, v in self._vectors.items() if k in wanted}

    def clear(self) -> None:
        with self._lock:
            self._vectors = {}
        self.path.unlink(missing_ok=True)

    def _embed(self, texts: list[str]) -> dict[bytes, np.ndarray]:
        # float16 halves the memory (1 KB a sentence with 512 dimensions) for a cosine error below 1e-3
        vectors = np.asarray(self._embedder.embed_documents(texts), dtype=np.float16)
        return {_key(text): vector for text, vector in zip(texts, vectors, strict=True)}

    def _add(self, texts: list[str]) -> dict[bytes, np.ndarray]:
        added = self._embed(texts)
        with self._lock:
            self._vectors.update(added)
        return added

    def _save(self, rows: list[tuple[bytes, np.ndarray]]) -> None:
        temporary = None
        try:
            private_folder(self.path.parent)
            # a file of its own: another process may be saving too
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
            temporary = Path(name)
            with os.fdopen(handle, "wb") as file:
                np.savez(
                    file,
                    model=np.array(self._model),
                    keys=np.array([np.frombuffer(k, dtype=np.uint8) for k, _ in rows]).reshape(-1, 16),
                    vectors=np.stack([v for _, v in rows]) if rows else np.zeros((0, 0), dtype=np.float16),
                )
            os.replace(temporary, self.path)  # readers see the old file or the new one, never half of one
        except OSError as exc:  # read-only or full disk: keep serving from memory
            if temporary is not None:
                with contextlib.suppress(OSError):
                    temporary.unlink(missing_ok=True)
            log.warning("cannot save the sentence vectors to %s: %s", self.path, exc)
