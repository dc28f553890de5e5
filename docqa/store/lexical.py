"""The lexical (BM25) index over the served chunks, saved beside the collection and reused while its
fingerprint, the sorted chunk ids, is unchanged."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import shutil
import uuid
from pathlib import Path

import bm25s
import numpy as np

from docqa.store.lock import FolderLock
from docqa.text import tokenize

log = logging.getLogger(__name__)


class LexicalIndex:
    """BM25 over `texts` (each with its document's title), loaded from `directory` when it was built from the same
    `ids`, else built and saved there."""

    def __init__(self, directory: Path, ids: list[str], titles: list[str], texts: list[str]):
        self.size = len(ids)
        self.bm25 = _load_or_build(directory, ids, titles, texts)
        self.df = np.diff(self.bm25.scores["indptr"])

    def scores(self, tokens: list[str]) -> np.ndarray:
        return self.bm25.get_scores(tokens)

    def idf(self, tokens: list[str]) -> list[float]:
        """Inverse document frequency of analysed tokens (0 for unknown ones)."""
        vocab, n = self.bm25.vocab_dict, self.size
        out = []
        for token in tokens:
            df = int(self.df[vocab[token]]) if token in vocab else 0
            out.append(float(np.log(1 + (n - df + 0.5) / (df + 0.5))) if df else 0.0)
        return out


def _load_or_build(directory: Path, ids: list[str], titles: list[str], texts: list[str]) -> bm25s.BM25:
    """BM25 over the texts, loaded from `directory` when it holds the one of `ids`, else built and saved there:
    one process at a time (the lock beside it), so that after a change one builds it and the others load it."""
    try:
        with FolderLock(directory.with_name(f"{directory.name}.lock")).exclusive():
            return _load_or_save(directory, ids, titles, texts)
    except OSError as exc:  # no lock file in a read-only folder: built here, not saved
        log.warning("cannot lock the lexical index under %s: %s", directory, exc)
        return _build(titles, texts)


def _load_or_save(directory: Path, ids: list[str], titles: list[str], texts: list[str]) -> bm25s.BM25:
    fingerprint = hashlib.sha256("\n".join(ids).encode()).hexdigest()
    try:
        if json.loads((directory / "fingerprint.json").read_text()).get("fingerprint") == fingerprint:
            return bm25s.BM25.load(str(directory))
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged file is rebuilt, never fatal
        log.warning("rebuilding the lexical index (%s)", exc)
    bm25 = _build(titles, texts)
    # written beside, then swapped in: a crash while saving leaves the previous one whole
    temporary = directory.with_name(f"{directory.name}.{uuid.uuid4().hex}")
    try:
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


def _build(titles: list[str], texts: list[str]) -> bm25s.BM25:
    corpus = [tokenize(f"{title}\n{text}") for title, text in zip(titles, texts, strict=True)]
    vocab: dict[str, int] = {}
    token_ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
    bm25 = bm25s.BM25()
    bm25.index(bm25s.tokenization.Tokenized(ids=token_ids, vocab=vocab), show_progress=False)
    return bm25
