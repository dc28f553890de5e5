"""Sentence-aware chunking inside page boundaries, with deterministic chunk ids."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from docqa.schema import Chunk, Page
from docqa.text import headings, split_sentences


def chunk_id(doc_id: str, page: int | None, start: int, text: str, version: str = "") -> str:
    """Deterministic id of a chunk: the same content at the same place of the same version of a document
    always gets the same id."""
    key = f"{doc_id}\x1f{version}\x1f{page}\x1f{start}\x1f{text}".encode()
    return hashlib.sha256(key).hexdigest()[:24]


def chunk_pages(pages: Iterable[Page], size: int, overlap: int, version: str = "") -> Iterator[Chunk]:
    """Pack whole sentences into chunks of about `size` characters, never across a page boundary.

    Consecutive chunks of a page share up to `overlap` characters of whole sentences. A sentence longer
    than `size` is cut at word boundaries. `version` (the file's content hash) enters the chunk ids, so that
    two versions of a document share no chunk: a write interrupted half-way leaves the previous one whole.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size, got size={size}, overlap={overlap}")
    for page in pages:
        spans = [piece for span in split_sentences(page.text) for piece in _cut_long(page.text, span, size)]
        titles = headings(page.text)
        for start, end in _pack(spans, size, overlap):
            text = page.text[start:end]
            yield Chunk(
                id=chunk_id(page.doc_id, page.page, start, text, version),
                doc_id=page.doc_id,
                page=page.page,
                start=start,
                end=end,
                text=text,
                section=next((title for offset, title in reversed(titles) if offset <= start), ""),
                ocr=page.ocr,
            )


def _cut_long(text: str, span: tuple[int, int], size: int) -> Iterator[tuple[int, int]]:
    start, end = span
    while end - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        cut = cut if cut > start else start + size
        yield start, cut
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    yield start, end


def _pack(spans: list[tuple[int, int]], size: int, overlap: int) -> Iterator[tuple[int, int]]:
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= size:
            j += 1
        yield spans[i][0], spans[j][1]
        if j + 1 >= len(spans):
            return
        # next chunk starts with the last sentences of this one that fit in `overlap`
        k = j + 1
        while k - 1 > i and spans[j][1] - spans[k - 1][0] <= overlap:
            k -= 1
        i = k
