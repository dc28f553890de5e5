"""The served chunks in memory (ids, texts, metadata, normalised vectors) with the lexical index over them and what
is derived from them (vocabulary, repeated sentences); rebuilt whenever the index changes."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

from docqa.schema import DocumentInfo, Hit
from docqa.store.chroma import StoredChunks
from docqa.store.lexical import LexicalIndex
from docqa.text import sentence_spans, terms

log = logging.getLogger(__name__)

VOCABULARY_MIN_CHUNKS = 2  # a word of one chunk only is too rare to translate a question's word to
PAGE_NUMBER = re.compile(r"^\d+|\d+$")  # "11La Recommandation..." on page 11, "... 12" on page 12
DOC_FIELDS = ("title", "publisher", "year", "language", "url", "source", "content_hash", "pages")
_OLD_NO_PAGE = -1  # how indexes written before layout 2 said "no page"


class Snapshot:
    """The served chunks, sorted by id, with their vectors (`vectors`: by chunk id, at least the served ones).

    A write interrupted half-way (a crash, a full disk) leaves a document with chunks of two versions, or too
    few: only a complete version of each document is served (the previous one, or nothing for a new document),
    and the document gets no content hash, so that the next ingest rewrites it.
    """

    def __init__(self, data: StoredChunks, vectors: dict[str, np.ndarray], lexical_dir: Path):
        versions: dict[str, dict[tuple[str, int], list[int]]] = defaultdict(lambda: defaultdict(list))
        for i, m in enumerate(data.metadatas):
            versions[str(m["doc_id"])][(str(m.get("content_hash", "")), int(m.get("doc_chunks", -1)))].append(i)
        self.documents: dict[str, DocumentInfo] = {}
        served: list[int] = []
        for doc_id, by_version in versions.items():
            complete = [rows for (_, n), rows in by_version.items() if len(rows) == n]
            rows = complete[0] if complete else next(iter(by_version.values()))
            m = data.metadatas[rows[0]]
            info = DocumentInfo(doc_id=doc_id, **{k: m[k] for k in DOC_FIELDS if k in m})
            info.chunks = len(rows) if complete else 0
            if len(by_version) != 1 or not complete:
                info.content_hash = ""
                log.warning("document %s was not completely written: run `docqa ingest` again", doc_id)
            self.documents[doc_id] = info
            served += rows if complete else []
        served.sort(key=lambda i: data.ids[i])
        self.hidden = len(data.ids) - len(served)
        self.ids: list[str] = [data.ids[i] for i in served]
        self.texts: list[str] = [data.texts[i] for i in served]
        metas = [data.metadatas[i] for i in served]
        self.doc_ids = [str(m["doc_id"]) for m in metas]
        self.pages = [_page(m.get("page")) for m in metas]
        self.starts = [int(m["start"]) for m in metas]
        self.ends = [int(m["end"]) for m in metas]
        self.sections = [str(m.get("section", "")) for m in metas]
        self.ocr = [bool(m.get("ocr", False)) for m in metas]
        self.text_hashes = [str(m.get("text_hash", "")) for m in metas]
        matrix = np.array([vectors[i] for i in self.ids], dtype=np.float32)
        self.vectors = matrix / (np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9) if self.ids else matrix
        self.position = {chunk_id: i for i, chunk_id in enumerate(self.ids)}
        self.by_page: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        for i, key in enumerate(zip(self.doc_ids, self.pages, strict=True)):
            self.by_page[key].append(i)
        # each chunk's document as a number, and each document's number of chunks (per-document means in one pass)
        _, self.document_of, self.document_sizes = np.unique(self.doc_ids, return_inverse=True, return_counts=True)
        self.titles = [self.documents[d].title for d in self.doc_ids]
        self.lexical = LexicalIndex(lexical_dir, self.ids, self.titles, self.texts) if self.ids else None
        self._places: dict[tuple[str, str], int] | None = None
        self._sentences: list[tuple[int, int, str]] | None = None
        self._vocabulary: list[str] | None = None
        self._word_counts: dict[str, Counter[str]] | None = None
        self.designations: dict[str, frozenset[str]] | None = None  # set by `Index.designations`
        self.ordinary_words: frozenset[str] | None = None  # set by `Index.ordinary_words`
        self.vocabulary_matrix: np.ndarray | None = None
        self.sentence_matrix: tuple[np.ndarray, np.ndarray] | None = None
        self._centroid: np.ndarray | None = None

    def centroid(self) -> np.ndarray:
        """The normalised mean of the chunks' vectors (of a snapshot with chunks): where the documents' subject
        lies in the embedding space."""
        if self._centroid is None:
            mean = self.vectors.mean(axis=0)
            self._centroid = mean / (np.linalg.norm(mean) + 1e-9)
        return self._centroid

    def vocabulary(self) -> list[str]:
        """The words (folded, alphabetic, three letters or more) that at least `VOCABULARY_MIN_CHUNKS` chunks use:
        what an English or paraphrased question's words are matched to."""
        if self._vocabulary is None:
            counts: Counter[str] = Counter()
            for text in self.texts:
                counts.update(_vocabulary_words(text))
            self._vocabulary = sorted(w for w, c in counts.items() if c >= VOCABULARY_MIN_CHUNKS)
        return self._vocabulary

    def word_counts(self) -> dict[str, Counter[str]]:
        """Document -> in how many of its chunks each (folded) word is."""
        if self._word_counts is None:
            self._word_counts = defaultdict(Counter)
            for doc_id, text in zip(self.doc_ids, self.texts, strict=True):
                self._word_counts[doc_id].update(set(terms(text)))
        return self._word_counts

    def sentences(self) -> list[tuple[int, int, str]]:
        """Every scored sentence of the served chunks: (chunk index, offset in the chunk, text), in chunk order."""
        if self._sentences is None:
            texts = enumerate(self.texts)
            self._sentences = [(i, at, sentence) for i, text in texts for at, sentence in _sentences(text)]
        return self._sentences

    def sentence_places(self) -> dict[tuple[str, str], int]:
        """(document, sentence) -> number of distinct places (page, offset) where it is written."""
        if self._places is None:
            places: dict[tuple[str, str], set[tuple[int | None, int]]] = defaultdict(set)
            for i, offset, sentence in self.sentences():
                places[(self.doc_ids[i], unnumbered(sentence))].add((self.pages[i], self.starts[i] + offset))
            self._places = {key: len(where) for key, where in places.items()}
        return self._places

    def vectors_of(self, data: StoredChunks) -> dict[str, np.ndarray]:
        """The vectors of the chunks of `data` this snapshot serves with the same embedded text: what a new
        snapshot need not read again."""
        found = {}
        for chunk_id, meta in zip(data.ids, data.metadatas, strict=True):
            i = self.position.get(chunk_id)
            if i is not None and self.text_hashes[i] and self.text_hashes[i] == meta.get("text_hash"):
                found[chunk_id] = self.vectors[i]
        return found

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
            ocr=self.ocr[i],
        )


# What a snapshot derives from a chunk's text, cached by the text: after a change of the index, the next snapshot
# derives it again only for the new chunks (chunk ids, hence texts, are mostly the same).
@lru_cache(maxsize=50_000)
def _vocabulary_words(text: str) -> frozenset[str]:
    """The distinct words of a chunk that the vocabulary counts."""
    return frozenset(w for w in terms(text) if len(w) >= 3 and w.isalpha())


@lru_cache(maxsize=50_000)
def _sentences(text: str) -> tuple[tuple[int, str], ...]:
    """A chunk's sentences: (offset, text)."""
    return tuple((start, text[start:end]) for start, end in sentence_spans(text))


@lru_cache(maxsize=500_000)
def unnumbered(sentence: str) -> str:
    """`sentence` without a page number at its start or end."""
    return PAGE_NUMBER.sub("", sentence)


def _page(value: object) -> int | None:
    return None if value is None or value == _OLD_NO_PAGE else int(value)  # type: ignore[call-overload]
