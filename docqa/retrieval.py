"""Hybrid retrieval as a LangChain `BaseRetriever`: BM25, dense passage and dense sentence candidates fused by
weighted reciprocal rank fusion, near-duplicates dropped, then the best candidates re-ranked by their best sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables.config import run_in_executor
from pydantic import ConfigDict, Field, model_validator

from docqa.errors import UnknownDocumentError, checked_question
from docqa.naming import name_documents, unknown_names
from docqa.place_names import french_names
from docqa.question import Question, profile
from docqa.schema import Hit
from docqa.scoring import ScoredSentence, SentenceScorer, Vectors
from docqa.store import Index
from docqa.text import QUESTION_WORDS, fold, tokenize, word_stems
from docqa.values import is_unit

_HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")  # "AP-HP", "e-santé", not "COVID-19"


def reciprocal_rank_fusion(rankings: Sequence[tuple[float, list[Hit]]], k: int = 60) -> list[Hit]:
    """Fuse ranked lists: score(d) = sum over lists of weight / (k + rank(d)), rank starting at 1.

    >>> a = Hit(chunk_id="a", doc_id="d", title="t", page=1, start=0, end=1, text="a", score=9)
    >>> b = a.model_copy(update={"chunk_id": "b"})
    >>> [h.chunk_id for h in reciprocal_rank_fusion([(1.0, [a, b]), (1.0, [b])])]
    ['b', 'a']
    """
    scores: dict[str, float] = {}
    hits: dict[str, Hit] = {}
    for weight, ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + weight / (k + rank)
            hits.setdefault(hit.chunk_id, hit)
    order = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))
    return [hits[chunk_id].model_copy(update={"score": scores[chunk_id]}) for chunk_id in order]


def drop_near_duplicates(hits: list[Hit], k: int, threshold: float = 0.85) -> list[Hit]:
    """The first `k` hits that are not near-copies (word-set Jaccard >= threshold) of a better one: reports
    repeat their agenda and summary slides, which would otherwise fill the top-k with one passage."""
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        words = set(tokenize(hit.text))
        if all(_jaccard(words, other) < threshold for _, other in kept):
            kept.append((hit, words))
            if len(kept) == k:
                break
    return [hit for hit, _ in kept]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


@dataclass(frozen=True)
class Evidence:
    """What retrieval hands to an answerer: the question, its embedding, the passages (best first) and their
    sentences scored by the selector (best first; `sentence.hit` indexes `hits`); for a multi-part question,
    `parts` holds the same sentences scored against each part."""

    question: Question
    vectors: Vectors
    hits: list[Hit]
    sentences: list[ScoredSentence]
    parts: tuple[list[ScoredSentence], ...] = ()

    def top(self, k: int) -> Evidence:
        """The same evidence limited to the `k` best passages."""
        return replace(
            self,
            hits=self.hits[:k],
            sentences=[s for s in self.sentences if s.hit < k],
            parts=tuple([s for s in part if s.hit < k] for part in self.parts),
        )

    def reranked(self) -> Evidence:
        """The passages ordered by their best sentence, for the question or for one of its parts (its score
        becomes the passage's)."""
        best: dict[int, float] = {}
        for sentence in [*self.sentences, *(s for part in self.parts for s in part)]:
            best[sentence.hit] = max(best.get(sentence.hit, 0.0), sentence.score)
        order = sorted(range(len(self.hits)), key=lambda i: (-best.get(i, 0.0), i))
        position = {old: new for new, old in enumerate(order)}

        def moved(sentences: list[ScoredSentence]) -> list[ScoredSentence]:
            return [replace(s, hit=position[s.hit]) for s in sentences]

        hits = [self.hits[i].model_copy(update={"score": round(best.get(i, 0.0), 4)}) for i in order]
        return replace(self, hits=hits, sentences=moved(self.sentences), parts=tuple(map(moved, self.parts)))


class HybridRetriever(BaseRetriever):
    """Top-k passages for a query from the lexical and dense indexes, optionally limited to some documents.
    Without `index`, the process's default engine's (`docqa.get_qa()`, from the settings). `k` and `docs` can
    also be given to `invoke` and `ainvoke`; they are checked as `docqa.search` checks them (`check`).

    >>> from docqa import Retriever                                      # doctest: +SKIP
    >>> retriever = Retriever(k=3)                                       # doctest: +SKIP
    >>> retriever.invoke("emplois d'ici 2025")[0].metadata["doc_id"]    # doctest: +SKIP
    'aec-ia-industries-sante'
    >>> len(retriever.invoke("Health Data Hub", k=1, docs=["think-tank-ia-sante-2024"]))  # doctest: +SKIP
    1
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Index
    k: int = Field(5, ge=1, le=50)
    docs: list[str] | None = None
    scorer: SentenceScorer | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_engine(cls, data: Any) -> Any:
        """No `index`: the default engine's index and sentence scorer (`IndexMissingError` when its data folder
        does not exist, as `docqa.ask`)."""
        if isinstance(data, dict) and data.get("index") is None:
            from docqa import reader  # docqa builds its engine from this module: imported on demand

            engine = reader()
            data = {**data, "index": engine.index, "scorer": data.get("scorer") or engine.retriever.scorer}
        return data

    def model_post_init(self, context: object) -> None:
        if self.scorer is None:
            self.scorer = SentenceScorer(self.index)
        self.check_documents(self.docs)

    def check(self, query: str, k: int | None = None, docs: list[str] | None = None, what: str = "query") -> str:
        """`query` stripped, or a DocqaError saying what is wrong: the query (a "question" when `what` says so) or
        `k` (`checked_question`), an empty index, or documents in `docs` that are not indexed."""
        query = checked_question(query, k, what)
        self.index.require_content()
        self.check_documents(docs)
        return query

    def check_documents(self, docs: list[str] | None) -> None:
        """An UnknownDocumentError naming the ids of `docs` that are not indexed, and those that are."""
        if docs:
            known = {d.doc_id for d in self.index.documents()}
            unknown = sorted(set(docs) - known)
            if unknown:
                indexed = _listed(sorted(known)) or "none"
                raise UnknownDocumentError(f"unknown document(s): {_listed(unknown)} (indexed: {indexed})")

    def search(self, query: str, k: int | None = None, docs: list[str] | None = None) -> list[Hit]:
        """The `k` best passages for `query`, best first."""
        k = k or self.k
        return self.retrieve(profile(query), k, docs).hits[:k]

    def retrieve(self, question: Question, k: int | None = None, docs: list[str] | None = None) -> Evidence:
        """The candidate passages for `question` (at least `k`), re-ranked by their best sentence.

        BM25, dense passage and dense sentence candidates (of the question and of each of its parts) are fused
        by weighted reciprocal rank fusion, near-copies dropped, and the `rerank_candidates` best re-ranked by
        the selector's score of their best sentence.
        """
        k = k or self.k
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        vectors = self.embed(question.text)
        part_vectors = [self.embed(searched_text(part)) for part in question.parts]
        question = self.read_names(question)
        settings = self.index.settings
        candidates = self.candidates(question, vectors, max(k, settings.rerank_candidates), docs, part_vectors)
        evidence = Evidence(
            question,
            vectors,
            candidates,
            self.scorer.score(question, candidates, vectors),
            tuple(self.scorer.score(p, candidates, v) for p, v in zip(question.parts, part_vectors, strict=True)),
        )
        return evidence.reranked() if settings.rerank_candidates else evidence

    def read_names(self, question: Question) -> Question:
        """`question` and each of its parts with their words translated for the corpus (`expand`), the documents
        they name, their distinctive names and the names no document writes (`docqa.naming`)."""
        index = self.index
        ordinary = index.ordinary_words()
        expanded = expand(question, index)
        named = name_documents(with_place_names(expanded, index), index.designations(), ordinary, index.knows)
        read = replace(
            expanded,
            documents=named.documents,
            distinctive=named.distinctive,
            unknown=unknown_names(named, ordinary, index.knows_stem),
        )
        parts = tuple(self.read_names(part) for part in question.parts)
        return replace(read, counted=counted_forms(read, index), parts=parts)

    def embed(self, text: str) -> Vectors:
        """`text` embedded as a query of the chunks and of the sentence index."""
        return Vectors.of(text, self.index)

    def candidates(
        self,
        question: Question,
        vectors: Vectors,
        n: int,
        docs: list[str] | None = None,
        part_vectors: Sequence[Vectors] = (),
    ) -> list[Hit]:
        """The `n` best fused passages for the question and its parts (`part_vectors`: their embeddings),
        near-copies dropped, before re-ranking."""
        docs = docs if docs is not None else self.docs
        depth = max(self.index.settings.candidates, n)
        rankings = self._rankings(question, vectors, depth, docs)
        for part, part_vector in zip(question.parts, part_vectors, strict=True):
            rankings += self._rankings(part, part_vector, depth, docs)
        return drop_near_duplicates(reciprocal_rank_fusion(rankings, k=self.index.settings.rrf_k), n)

    def _rankings(
        self, question: Question, vectors: Vectors, depth: int, docs: list[str] | None
    ) -> list[tuple[float, list[Hit]]]:
        """The weighted rankings of the lexical, dense passage and dense sentence searches; when the question names
        documents (and the search is not limited already), the same searches limited to the documents it names
        best, weighted by `named_document_weight`, so that each named document brings its own passages."""
        settings = self.index.settings
        named = [doc for doc, strength in question.documents.items() if strength == 1.0]
        scopes = [(1.0, docs)]
        if named and not docs and settings.named_document_weight > 0:
            scopes.append((settings.named_document_weight, sorted(named)))
        rankings: list[tuple[float, list[Hit]]] = []
        tokens = tokenize(searched_text(question)) + [t for c in question.concept_tokens for t in c]
        tokens = list(dict.fromkeys(tokens))
        for weight, scope in scopes:
            if settings.lexical_weight > 0:
                rankings.append((weight * settings.lexical_weight, self.index.lexical_search(tokens, depth, scope)))
            if settings.dense_weight > 0:
                dense = self.index.dense_search(vectors.passage.tolist(), depth, scope)
                rankings.append((weight * settings.dense_weight, dense))
            if settings.sentence_weight > 0 and vectors.sentence is not None:
                sentence = self.index.sentence_search(vectors.sentence, depth, scope)
                rankings.append((weight * settings.sentence_weight, sentence))
        return rankings

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        docs: list[str] | None = None,
    ) -> list[Document]:
        query = self.check(query, k, docs if docs is not None else self.docs)  # a document deleted since: said
        return [hit_to_document(hit) for hit in self.search(query, k=k, docs=docs)]

    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        k: int | None = None,
        docs: list[str] | None = None,
    ) -> list[Document]:
        """The synchronous search in an executor (the engine is CPU-bound), with the same `k` and `docs`: the
        default passes neither."""
        return await run_in_executor(
            None, self._get_relevant_documents, query, run_manager=run_manager.get_sync(), k=k, docs=docs
        )


def _listed(ids: list[str], most: int = 20) -> str:
    """The first `most` ids, and how many more (an error message stays short whatever a request sends)."""
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ", ".join(ids[:most]) + more


def searched_text(question: Question) -> str:
    """The text a (part of a) question is searched by: its own, and what it counts or names when it does not say it
    and the part before does ("..., et combien pour l'étude B ?" counts experts, "..., et quel en était le prix ?"
    names what the part before names: `docqa.question.carried_over`)."""
    own = set(tokenize(question.text))
    inherited = [w for w in (question.subject, *question.entities) if w and not set(tokenize(w)) <= own]
    return " ".join([question.text, *inherited])


def expand(question: Question, index: Index) -> Question:
    """`question` with the corpus's own words for its words (`joined_hyphens`, and `translated` for an English
    question), for the lexical index and the sentence scores."""
    return joined_hyphens(translated(question, index), index)


def with_place_names(question: Question, index: Index) -> Question:
    """An English question whose names of countries, regions and languages are joined by their French names
    (`docqa.place_names`: "Germany" -> "allemagn") when the corpus writes them: how its names are read
    (`docqa.naming`), not searched (measured: the search with them answered an off-topic question)."""
    if question.language != "en":
        return question
    places = french_names(question.text, {fold(name) for name in question.entities})
    if not places:
        return question
    words = {stem: word for word, stem in word_stems(question.text)}
    concepts = []
    for concept in question.concept_tokens:
        french = tokenize(places.get(words.get(concept[0], ""), ""))
        concepts.append(concept + tuple(t for t in french if t not in concept and all(index.idf([t]))))
    return replace(question, concepts=tuple(concepts))


def joined_hyphens(question: Question, index: Index) -> Question:
    """`join_hyphens`: each piece of a hyphenated word of the question joined by the word written without its
    hyphens when the corpus writes it so ("AP-HP" -> also "APHP", "e-santé" -> also "esanté"): the reports write
    both."""
    if not index.settings.join_hyphens:
        return question
    joins: dict[str, tuple[str, ...]] = {}
    for word in _HYPHENATED.findall(question.text):
        joined = word.replace("-", "")
        if index.knows(joined):
            joins.update({piece: tuple(tokenize(joined)) for piece in tokenize(word)})
    if not joins:
        return question
    concepts = tuple(c + tuple(t for t in joins.get(c[0], ()) if t not in c) for c in question.concept_tokens)
    return replace(question, concepts=concepts)


def translated(question: Question, index: Index) -> Question:
    """An English question with each informative word joined by the corpus words nearest to it in the
    (multilingual) embedding space: query expansion from the corpus's own vocabulary, which translates ("jobs" ->
    "emplois", "growth" -> "croissance") for the lexical index and the sentence scores. `expansion_terms`
    (0: none) and `expansion_min_similarity` set how many words and how close. (Expanding the words of French
    questions that the corpus does not use was measured too: no better.)"""
    settings = index.settings
    if not settings.expansion_terms or question.language != "en":
        return question
    # each word with its stem as the question's own analysis gives it (from the word as written: stemming
    # "parisanté" gives "parisant", stemming its folded form "parisante" would give "paris")
    asked = [(w, stem) for w, stem in dict.fromkeys(word_stems(question.text)) if w not in QUESTION_WORDS]
    found = index.neighbours([w for w, _ in asked], settings.expansion_terms, settings.expansion_min_similarity)
    concepts = []
    for (_, stem), neighbours in zip(asked, found, strict=True):
        stems = [stem] + [t for neighbour, _ in neighbours for t in tokenize(neighbour)]
        if stems:
            concepts.append(tuple(dict.fromkeys(stems)))
    return replace(question, concepts=tuple(dict.fromkeys(concepts)))


def counted_forms(question: Question, index: Index) -> frozenset[str]:
    """What a count question counts in its own words (`Question.counted_words`) with the corpus words nearest to
    them (`counted_neighbours`, at least `counted_min_similarity` cosine: "individus" -> "personnes",
    "employees" -> "collaborateurs"), as analysed tokens: the forms the counted check accepts (none when it is
    off, or when the question counts a unit: `docqa.values.is_unit`)."""
    settings = index.settings
    own = question.counted_words
    if not own or not settings.check_counted or is_unit(question.subject):
        return frozenset()
    words = [word for word, stem in word_stems(question.subject) if stem in own]
    n, similarity = settings.counted_neighbours, settings.counted_min_similarity
    found = index.neighbours(words, n, similarity) if n else []
    return own.union(*(tokenize(word) for near in found for word, _ in near))


def hit_to_document(hit: Hit) -> Document:
    """A `Hit` as a LangChain `Document` (text as page_content, the rest as metadata)."""
    return Document(page_content=hit.text, metadata=hit.model_dump(exclude={"text"}), id=hit.chunk_id)
