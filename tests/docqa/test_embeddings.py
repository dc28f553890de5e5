"""The embedding backends, with the real models shipped by PyPI packages."""

import numpy as np
import pytest

from docqa.embeddings import SentenceTransformerEmbeddings, _minilm_path, embedder_name, get_embedder
from docqa.errors import ConfigError

QUERY = "Combien d'emplois liés à l'IA d'ici 2025 ?"
PASSAGES = ["Environ 5 000 emplois liés à l’IA devraient être créés d’ici 2025.", "Le chat dort sur le canapé."]


def check(embedder, dim):
    query = np.array(embedder.embed_query(QUERY))
    passages = np.array(embedder.embed_documents(PASSAGES))
    assert query.shape == (dim,) and passages.shape == (2, dim)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-2)
    relevant, unrelated = passages @ query
    assert relevant > unrelated
    assert embedder.embed_documents([]) == []


def test_use_multilingual():
    embedder = get_embedder("use")
    check(embedder, 512)
    assert embedder_name(embedder) == "use-multilingual-v3"


def test_e5_separates_query_and_passage():
    embedder = get_embedder("e5")
    check(embedder, 384)
    assert not np.allclose(embedder.embed_query(PASSAGES[0]), embedder.embed_documents(PASSAGES[:1])[0])


@pytest.mark.slow
def test_sentence_transformers_by_alias_and_by_path():
    check(get_embedder("minilm"), 384)
    by_path = SentenceTransformerEmbeddings(_minilm_path())
    assert by_path.name == _minilm_path()
    check(by_path, 384)


def test_unknown_model_is_a_clear_error_without_download():
    with pytest.raises(ConfigError, match="cannot load sentence-transformers model 'no-such/model'"):
        get_embedder("no-such/model")
