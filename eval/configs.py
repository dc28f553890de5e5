"""Named configurations for `docqa eval --config/--compare`, as overrides of the settings."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from docqa.errors import DocqaError
from docqa.settings import Settings

CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "bm25": {"dense_weight": 0.0, "rerank_candidates": 0},
    "dense": {"lexical_weight": 0.0, "rerank_candidates": 0},
    "hybrid-no-rerank": {"rerank_candidates": 0},
    "no-expansion": {"expansion_terms": 0},
    "chunk-500": {"chunk_size": 500, "chunk_overlap": 100},
    "chunk-1200": {"chunk_size": 1200, "chunk_overlap": 200},
    "e5": {"embedder": "e5"},
    "minilm": {"embedder": "minilm"},
    "llm": {"answerer": "llm"},
    "naive": {},  # LangChain's plain Chroma retriever over fixed 1000-character chunks (eval/naive.py)
}
# Settings that change what is indexed: a configuration that overrides one gets an index of its own.
INDEX_FIELDS = ("embedder", "chunk_size", "chunk_overlap")


def resolve(spec: str, base: Settings) -> tuple[str, Settings]:
    """A configuration name, or `key=value` pairs separated by commas (`chunk_size=600,top_k=8`)."""
    if spec in CONFIGS:
        overrides = CONFIGS[spec]
    elif "=" in spec:
        overrides = dict(pair.split("=", 1) for pair in spec.split(","))
    else:
        raise DocqaError(f"unknown configuration {spec!r} (known: {', '.join(CONFIGS)}, or key=value,...)")
    try:
        settings = Settings.model_validate({**base.model_dump(), **overrides})
    except ValueError as exc:
        raise DocqaError(f"configuration {spec!r}: {exc}") from None
    if any(getattr(settings, f) != getattr(base, f) for f in INDEX_FIELDS):
        key = "-".join(str(getattr(settings, f)) for f in INDEX_FIELDS).replace("/", "_")
        settings = settings.model_copy(update={"data_dir": base.data_dir / "eval-indexes" / key})
    return spec, settings


def corpus_hash(corpus_dir: Path) -> str:
    """Hash of the corpus files, to tell which corpus a run was made on."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(corpus_dir).rglob("*") if p.is_file()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
