"""Sentence selection as one scored, learned step: every sentence of a question's candidate passages gets a
vector of features (lexical coverage, dense similarity, answer-type match, names, time frame, position, what
kind of line it is), and a logistic model fitted by cross-validation (`python -m eval.fit`) turns them into the
probability that the sentence answers the question. The retriever re-ranks passages by their best sentence and
the extractive answerer quotes the best ones."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from docqa.question import FRENCH_ACRONYMS, Question, asking_tokens
from docqa.schema import Hit
from docqa.settings import Settings
from docqa.store import Index
from docqa.text import fold, is_heading, join_acronyms, sentence_spans, terms, tokenize
from docqa.values import find_values

MODEL = Path(__file__).with_name("selector.json")

# How French text defines a term (matched on folded text)
DEFINITION = re.compile(
    r"\b(est une?|sont des|designent|designe|consistent|consiste|se definit|definie?s? comme|on entend|vise a|"
    r"considerees? comme|c'est-? ?a-? ?dire|il s'agit d|correspond a|renvoie a|signifie|autrement dit|on appelle)\b"
)
# Bibliography and source lines: "Sources : ...", "Titre (2018) - Éditeur", URLs
REFERENCE = re.compile(r"^sources? ?:|https?://|bit\.ly|www\.|\(\d{4}\)\s*[-–]", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[•▪◦●○■□➢✓*\-–]|\d{1,2}[.)])\s*")
_HAS_DIGIT = re.compile(r"\d")
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b(?:[A-Z]{2,}[\w-]*|[A-Z][a-zà-ÿ]+(?:[ -][A-Z][\w-]+)+)")

FEATURES = (
    "lex",
    "lex_known",
    "lex_window",
    "lex_passage",
    "lex_gap",
    "dense",
    "dense_gap",
    "dense_sentence",
    "dense_sentence_gap",
    "dense_en",
    "lex_en",
    "rank_prior",
    "fused",
    "type_value",
    "type_value_window",
    "type_missing",
    "definition_cue",
    "announces",
    "entities_sentence",
    "entities_passage",
    "time_sentence",
    "time_missing",
    "numbers_missing",
    "heading",
    "question_mark",
    "reference",
    "short",
    "log_words",
    "digit_share",
    "repeated",
    "position",
    "quoted",
    "bullet",
    "title_like",
    "unknown_share",
    "value_subject",
    "value_other",
    "doc_named",
    "doc_unnamed",
    "names_missing",
)


class Vectors(NamedTuple):
    """A text embedded as a query: by the chunks' embedder, and by the sentence index's (None without one)."""

    passage: np.ndarray
    sentence: np.ndarray | None

    @classmethod
    def of(cls, text: str, index: Index) -> Vectors:
        return cls(np.asarray(index.embedder.embed_query(text)), index.embed_sentence_query(text))


@dataclass
class ScoredSentence:
    """A sentence of hit number `hit` (its index in the candidate passages); `start`/`end` are offsets into that
    hit's text; `score` is the selector's probability that it answers the question."""

    hit: int
    start: int
    end: int
    text: str
    score: float = 0.0
    covered: frozenset[str] = frozenset()  # the question's (stemmed) informative words it contains
    features: dict[str, float] = field(default_factory=dict)


# What the abstention model reads of a question's best sentence (and of the sentence after it)
ANSWER_FEATURES = (
    "top",
    "margin",
    "lex",
    "lex_known",
    "lex_window",
    "lex_passage",
    "dense",
    "entities_sentence",
    "entities_passage",
    "time_missing",
    "numbers_missing",
    "type_value_window",
    "type_missing",
    "english",
    "wants_value",
    "unknown_share",
    "doc_unnamed",
    "value_subject",
    "value_other",
    "names_missing",
)


# What the topic model reads of them: where the question lies in the embedding space with respect to the documents
# (near their centroid, near some chunks) and how much of it the documents have no word for; not how well the
# best passages answer it (the answer model's job: reading it there declined answerable English questions too)
TOPIC_FEATURES = ("corpus_centroid", "corpus_neighbours", "unknown_share")


@dataclass(frozen=True)
class Logistic:
    """p = sigmoid(bias + sum(weight * (x - mean) / scale))."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {key: [round(float(v), 6) for v in getattr(self, key)] for key in ("weights", "mean", "scale")} | {
            "bias": round(self.bias, 6)
        }

    @classmethod
    def from_json(cls, data: dict) -> Logistic:
        return cls(np.array(data["weights"]), float(data["bias"]), np.array(data["mean"]), np.array(data["scale"]))


@dataclass(frozen=True)
class Selector:
    """Fitted models: `sentence` scores each sentence (does it answer the question?); `answer` reads the best
    sentence's features and says whether the passages answer at all; `topic` reads the same features and says
    whether the question is about what the documents cover at all (trained on off-topic questions too). Under
    `threshold`, or with a topic probability under `topic_threshold` (both calibrated by cross-validation),
    docqa abstains."""

    sentence: Logistic
    answer: Logistic
    threshold: float
    info: dict
    topic: Logistic | None = None
    topic_threshold: float = 0.0

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return self.sentence(x)

    def on_topic(self, question: Question, sentences: list[ScoredSentence], threshold: float | None = None) -> bool:
        """Whether the topic model puts the question on the documents' topic (at `threshold`; None: the
        calibrated one)."""
        floor = self.topic_threshold if threshold is None else threshold
        if self.topic is None or floor <= 0 or not sentences:
            return True
        return float(self.topic(answer_features(question, sentences, TOPIC_FEATURES)[None, :])[0]) >= floor

    def answerability(self, question: Question, sentences: list[ScoredSentence]) -> float:
        """The probability that the passages answer the question, from its scored sentences (best first)."""
        if not sentences:
            return 0.0
        return float(self.answer(answer_features(question, sentences)[None, :])[0])

    @classmethod
    def load(cls, path: Path = MODEL) -> Selector:
        data = json.loads(path.read_text(encoding="utf-8"))
        if (
            tuple(data["features"]) != FEATURES
            or tuple(data["answer_features"]) != ANSWER_FEATURES
            or tuple(data.get("topic_features", TOPIC_FEATURES)) != TOPIC_FEATURES
        ):
            raise ValueError(f"{path}: fitted for other features; refit with `python -m eval.fit`")
        models = {"sentence", "answer", "threshold", "topic", "topic_threshold", "topic_features"}
        info = {k: v for k, v in data.items() if k not in models}
        topic = Logistic.from_json(data["topic"]) if "topic" in data else None
        return cls(
            Logistic.from_json(data["sentence"]),
            Logistic.from_json(data["answer"]),
            data["threshold"],
            info,
            topic,
            data.get("topic_threshold", 0.0),
        )

    def save(self, path: Path = MODEL) -> None:
        data = {
            **self.info,
            "features": list(FEATURES),
            "answer_features": list(ANSWER_FEATURES),
            "threshold": round(self.threshold, 4),
            "sentence": self.sentence.to_json(),
            "answer": self.answer.to_json(),
        }
        if self.topic is not None:
            topic = {"topic_features": list(TOPIC_FEATURES), "topic": self.topic.to_json()}
            data |= topic | {"topic_threshold": round(self.topic_threshold, 4)}
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def answer_features(
    question: Question, sentences: list[ScoredSentence], names: tuple[str, ...] = ANSWER_FEATURES
) -> np.ndarray:
    """The features `names` (`ANSWER_FEATURES` or `TOPIC_FEATURES`) of a question whose sentences are scored (best
    first): those of its best sentence, and of the question."""
    top = sentences[0]
    second = sentences[1].score if len(sentences) > 1 else 0.0
    row = {name: top.features.get(name, 0.0) for name in names}
    row |= {
        "top": _logit(top.score),
        "margin": top.score - second,
        "english": float(question.language == "en"),
        "wants_value": float(question.wants_value),
    }
    return np.array([row[name] for name in names])


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


@cache
def default_selector() -> Selector:
    return Selector.load()


class SentenceScorer:
    """Scores every sentence of some passages against a question with the learned `Selector`."""

    def __init__(self, index: Index, selector: Selector | None = None):
        self.index = index
        self._selector = selector

    @property
    def selector(self) -> Selector:
        return self._selector or default_selector()

    def score(self, question: Question, hits: list[Hit], vectors: Vectors | None = None) -> list[ScoredSentence]:
        """All sentences of `hits`, best first; `vectors` are the question's embeddings (computed when None)."""
        sentences, x = self.features(question, hits, vectors)
        if not sentences:
            return []
        for sentence, p in zip(sentences, self.selector.probabilities(x), strict=True):
            sentence.score = float(p)
        return sorted(sentences, key=lambda s: -s.score)

    def features(
        self, question: Question, hits: list[Hit], vectors: Vectors | None = None
    ) -> tuple[list[ScoredSentence], np.ndarray]:
        """The sentences of `hits` (in passage order) and their feature matrix (one row each, `FEATURES`)."""
        per_hit = [sentence_spans(hit.text) for hit in hits]
        sentences = [
            ScoredSentence(hit=i, start=s, end=e, text=hit.text[s:e])
            for i, (hit, spans) in enumerate(zip(hits, per_hit, strict=True))
            for s, e in spans
        ]
        if not sentences:
            return [], np.zeros((0, len(FEATURES)))
        concepts = question.concept_tokens
        tokens = list(dict.fromkeys(t for concept in concepts for t in concept))
        idf = dict(zip(tokens, self.index.idf(tokens), strict=True))
        # a word the corpus never uses is as informative as the rarest one (it is what an off-topic question asks)
        rarest = max(self.index.idf_unknown(), *idf.values()) if idf else 1.0
        weights = [max((idf[t] for t in c if idf[t] > 0), default=rarest) for c in concepts]
        known = [any(idf[t] > 0 for t in c) for c in concepts]
        total = sum(weights) or 1.0
        known_total = sum(w for w, k in zip(weights, known, strict=True) if k) or 1.0

        def coverage(words: set[str], known_only: bool = False) -> float:
            covered = sum(
                w for c, w, k in zip(concepts, weights, known, strict=True) if (k or not known_only) and words & set(c)
            )
            return covered / (known_total if known_only else total)

        if vectors is None:
            vectors = Vectors.of(question.text, self.index)
        texts = [s.text for s in sentences]
        dense = cosines(self.index.sentences.vectors(texts), vectors.passage)
        index_vectors = self.index.retrieval_sentences
        dense_sentence = (
            cosines(index_vectors.vectors(texts), vectors.sentence)
            if index_vectors is not None and vectors.sentence is not None
            else np.zeros(len(texts))
        )
        english = float(question.language == "en")
        documents = {d.doc_id: d for d in self.index.documents()}
        top_fused = max(h.score for h in hits) or 1.0
        rows = []
        settings = self.index.settings
        words_of = [set(tokenize(s.text)) for s in sentences]
        passage_context = [_context(hit, documents) for hit in hits]
        passage_words = [set(tokenize(text)) for text in passage_context]
        passage_names = [names_share(question, text) for text in passage_context]
        title_words = [set(tokenize(hit.title)) for hit in hits]
        subject = set(tokenize(question.subject))
        n_in_hit = [len(spans) for spans in per_hit]
        first_of_hit = {}  # index of each passage's first sentence (sentences are in passage order)
        for j, sentence in enumerate(sentences):
            first_of_hit.setdefault(sentence.hit, j)
            hit = hits[sentence.hit]
            words = words_of[j]
            neighbours = [words_of[k] for k in (j - 1, j + 1) if 0 <= k < len(sentences)]
            neighbours = [
                w for k, w in zip((j - 1, j + 1), neighbours, strict=False) if sentences[k].hit == sentence.hit
            ]
            window = words.union(*neighbours) if neighbours else words
            window_text = _window_text(sentences, j)
            sentence.covered = frozenset(c[0] for c in concepts if words & set(c))
            n_words = len(sentence.text.split())
            value = _states_type(question, sentence.text, settings)
            value_window = value or _states_type(question, window_text, settings)
            position = j - first_of_hit[sentence.hit]
            rows.append(
                {
                    "lex": coverage(words),
                    "lex_known": coverage(words, known_only=True),
                    "lex_window": coverage(window),
                    "lex_passage": coverage(passage_words[sentence.hit] | words),
                    "dense": float(dense[j]),
                    "dense_sentence": float(dense_sentence[j]),
                    "rank_prior": 1.0 / (1 + sentence.hit),
                    "fused": hit.score / top_fused,
                    "type_value": float(value),
                    "type_value_window": float(value_window),
                    "type_missing": float(question.wants_value and not value_window),
                    "definition_cue": float(bool(DEFINITION.search(fold(sentence.text)))),
                    "announces": float(sentence.text.rstrip().endswith(":")),
                    "entities_sentence": names_share(question, sentence.text),
                    "entities_passage": passage_names[sentence.hit],
                    "names_missing": float(passage_names[sentence.hit] < 1),
                    "time_sentence": float(
                        bool(question.time_frame) and all(y in sentence.text for y in question.time_frame)
                    ),
                    "time_missing": float(any(y not in passage_context[sentence.hit] for y in question.time_frame)),
                    "numbers_missing": float(
                        any(n not in passage_context[sentence.hit] for n in _plain_numbers(question))
                    ),
                    "heading": float(is_heading(sentence.text)),
                    "question_mark": float(sentence.text.rstrip().endswith("?")),
                    "reference": float(bool(REFERENCE.search(sentence.text))),
                    "short": float(n_words < 5),
                    "log_words": math.log1p(n_words),
                    "digit_share": _digit_share(sentence.text),
                    "repeated": math.log1p(self.index.repeats(hit.doc_id, sentence.text)),
                    "position": position / max(1, n_in_hit[sentence.hit] - 1),
                    "quoted": float(any(set(tokenize(q)) <= words for q in question.quoted)),
                    "bullet": float(bool(_BULLET.match(sentence.text))),
                    "title_like": _jaccard(words, title_words[sentence.hit]),
                    "doc_named": question.documents.get(hit.doc_id, 0.0),
                    "doc_unnamed": float(bool(question.documents) and hit.doc_id not in question.documents),
                    **_counted(question, sentence.text, subject),
                }
            )
        lex_max = max(r["lex"] for r in rows)
        dense_max = max(r["dense"] for r in rows)
        dense_sentence_max = max(r["dense_sentence"] for r in rows)
        # what the corpus has no word for, of what the question is about (not the words asking its type: "stand for")
        asking = asking_tokens(question) - {t for name in question.entities for t in tokenize(name)}
        about = [(w, k) for c, w, k in zip(concepts, weights, known, strict=True) if c[0] not in asking]
        about_known = sum(w for w, k in about if k)
        unknown = 1 - about_known / (sum(w for w, _ in about) or 1.0) if about_known else 1.0
        centroid, neighbours = self.index.corpus_similarity(vectors.passage, self.index.settings.topic_neighbours)
        for row in rows:
            row["unknown_share"] = unknown
            row["corpus_centroid"] = centroid
            row["corpus_neighbours"] = neighbours
            row["lex_gap"] = row["lex"] - lex_max
            row["dense_gap"] = row["dense"] - dense_max
            row["dense_sentence_gap"] = row["dense_sentence"] - dense_sentence_max
            row["dense_en"] = row["dense"] * english
            row["lex_en"] = row["lex"] * english
        for sentence, row in zip(sentences, rows, strict=True):
            sentence.features = row
        return sentences, np.array([[row[name] for name in FEATURES] for row in rows])


def cosines(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    return matrix @ vector / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(vector) + 1e-9)


def glosses(question: Question, text: str, head_words: int, tail_words: int) -> bool:
    """Whether `text` is a gloss of a term of the question, as glossaries and legends write them: a head of at most
    `head_words` words that holds a word of the question (not one that asks it: "désigne" is no "Designer"), a
    colon, an explanation of `tail_words` words or more ("ETI : entreprise de taille intermédiaire, entre 250 et
    5 000 salariés")."""
    head, colon, tail = _BULLET.sub("", text).partition(":")
    sized = 0 < len(head.split()) <= head_words and len(tail.split()) >= tail_words
    return bool(colon) and sized and bool(set(tokenize(head)) & (set(question.terms) - asking_tokens(question)))


def _states_type(question: Question, text: str, settings: Settings) -> bool:
    """Whether `text` states what the question's answer type asks for (for a definition: a definition's wording,
    or a gloss of its term when `gloss_head_words`)."""
    kind = question.answer_type
    if question.wants_value:
        return bool(find_values(kind, text, question))
    if kind == "definition":
        if DEFINITION.search(fold(text)):
            return True
        head_words, tail_words = settings.gloss_head_words, settings.gloss_tail_words
        return head_words > 0 and glosses(question, text, head_words, tail_words)
    if kind == "list":
        return text.rstrip().endswith(":") or text.count(",") >= 2 or bool(_BULLET.match(text))
    if kind == "name":
        names = {fold(n) for n in question.entities}
        return any(fold(m.group()) not in names for m in _NAME.finditer(text))
    return False


def _context(hit: Hit, documents: dict) -> str:
    doc = documents.get(hit.doc_id)
    return "\n".join([hit.text, hit.title, doc.publisher if doc else ""])


def _window_text(sentences: list[ScoredSentence], j: int) -> str:
    same = [
        sentences[k].text for k in (j - 1, j, j + 1) if 0 <= k < len(sentences) and sentences[k].hit == sentences[j].hit
    ]
    return " ".join(same)


def _plain_numbers(question: Question) -> set[str]:
    return {n for n in question.numbers if n not in question.time_frame}


def _counted(question: Question, text: str, subject: set[str]) -> dict[str, float]:
    """For a count question: whether a count in `text` counts what the question counts ("97 startups" for
    "combien de startups"), and whether all its counts count something else ("3 sources")."""
    if question.answer_type != "count" or not subject:
        return {"value_subject": 0.0, "value_other": 0.0}
    # what each count counts: the words of "97 startups" that are not digits
    counted = [v.counted for v in find_values("count", text, question)]
    named = [c for c in counted if c]
    bare = len(named) < len(counted)  # a number alone ("n = 97"), in a sentence that names what it counts
    return {
        "value_subject": float(any(c & subject for c in named) or (bare and subject <= set(tokenize(text)))),
        "value_other": float(bool(named) and not any(c & subject for c in named)),
    }


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _digit_share(text: str) -> float:
    tokens = text.split()
    return sum(1 for t in tokens if _HAS_DIGIT.search(t)) / max(1, len(tokens))


def names_share(question: Question, text: str) -> float:
    """Share of the question's names found in `text` (1 when it names none). Acronyms match as written (or as
    their French form), "AP-HP" as "APHP"; other names by their folded word or their stems."""
    if not question.entities:
        return 1.0
    folded = fold(text)
    if not any(fold(name)[:3] in folded for name in question.entities):  # the common case, cheaply
        return 0.0
    context = join_acronyms(text)
    words, stems = set(terms(context)), set(tokenize(context))
    found = 0
    for name in question.entities:
        if name.isupper():
            found += acronym_written(name, context)
        else:
            found += fold(name) in words or set(tokenize(name)) <= stems
    return found / len(question.entities)


def acronym_written(acronym: str, text: str, any_case: bool = False, reordered: bool = False) -> bool:
    """Whether `text` (its acronyms joined: `join_acronyms`) writes `acronym` as a word, or its French form ("AI"
    -> "IA", `FRENCH_ACRONYMS`); with `any_case`, in any case that starts with a capital ("INRIA" as "Inria", "ANS"
    not as "ans"); with `reordered` (an English
    question), also as another acronym of the same letters in another order, French putting the adjective
    after the noun ("OECD" -> "OCDE"; not for a French question, where "ARS" is not "RSA")."""
    flags = re.IGNORECASE if any_case else 0
    forms = {acronym, FRENCH_ACRONYMS.get(acronym, acronym)}
    written = (m.group() for f in forms for m in re.finditer(rf"\b{re.escape(f)}\b", text, flags))
    if any(w[0].isupper() for w in written):  # a capital first: "ans" (years) is not "ANS"
        return True
    letters = sorted(acronym.upper())
    return reordered and any(sorted(w) == letters for w in _ACRONYM.findall(text) if len(w) == len(acronym))
