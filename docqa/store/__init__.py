"""The only place that opens the index and picks the embedder, in parts with one job each:

- `chroma`: a typed adapter over the Chroma collection of chunk vectors (client lifecycle, storage errors);
- `lexical`: the BM25 index over the served chunks, saved and reused while the chunks are the same;
- `snapshot`: the served chunks in memory (complete document versions only);
- `sentences`: the sentence vectors the scorer reads, saved as they are embedded;
- `stamp`: freshness across processes;
- `index`: `Index`, which keeps them consistent.
"""

from docqa.store.chroma import open_chroma, storage_failure
from docqa.store.index import LAYOUT, Index, embedding_text, require_folder, text_hash

__all__ = ["LAYOUT", "Index", "embedding_text", "open_chroma", "require_folder", "storage_failure", "text_hash"]
