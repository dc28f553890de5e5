"""Sentence-level relevance, shared by the retriever (re-ranking its candidates by their best sentence) and the
extractive answerer (quoting the best sentences)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from docqa.analysis import QUESTION_WORDS, detect_language, fold, normalize_numbers, tokenize
from docqa.schema import Hit
from docqa.sentences import sentence_spans
from docqa.store import Index

_NUMBER_QUESTION = re.compile(
    r"\b(combien|montant|nombre|proportion|part|taux|pourcentage|budget|taille|effectifs?|date|quand|annee|mois|"
    r"salaire|prix|cout|chiffre|valeur|duree|age|"
    r"how many|how much|percentage|share|rate|cost|amount|number|when|year|date)\b"
)
_DEFINITION_QUESTION = re.compile(
    r"\b(definition|definit|definissent|qu'est-ce qu|que designe|que signifie|qu'entend|entend-on|what is|what are|"
    r"define|meaning|mean)\b"
)
# How French text defines a term (matched on folded text)
DEFINITION = re.compile(
    r"\b(est une?|sont des|designent|designe|consistent|consiste|se definit|definie?s? comme|on entend|vise a|"
    r"considerees? comme|c'est-? ?a-? ?dire|il s'agit d|correspond a|renvoie a|signifie|autrement dit|on appelle)\b"
)
# Bibliography and source lines: "Sources : ...", "Titre (2018) - Éditeur", URLs
_REFERENCE = re.compile(r"^sources? ?:|https?://|bit\.ly|www\.|\(\d{4}\)\s*[-–]", re.IGNORECASE)
_REFERENCE_PENALTY = 0.5
_QUESTION_SENTENCE_PENALTY = 0.6  # a sentence that asks a question rarely answers one
_SHORT_SENTENCE_PENALTY = 0.75  # a few words (a heading, a label) say little on their own
_YEAR_QUESTION = re.compile(
    r"\b(quand|quelle date|quelle annee|quel mois|when|what year|which year|what date|which month)\b"
)
_YEAR = re.compile(r"(19|20)\d\d")
_QUOTED = re.compile(r"[«“\"]\s*([^»”\"]{2,80}?)\s*[»”\"]")
_QUOTED_BONUS = 0.1
_MISSING_NUMBER_PENALTY = 0.6
_NO_NUMBER_PENALTY = 0.75


@dataclass
class ScoredSentence:
    """A sentence of hit number `hit`; `start`/`end` are offsets into that hit's text."""

    hit: int
    start: int
    end: int
    text: str
    lexical: float = 0.0  # IDF-weighted share of the question's informative words it contains
    dense: float = 0.0  # cosine similarity of its embedding to the question's
    score: float = 0.0
    covered: frozenset[str] = frozenset()  # the question's (stemmed) words it contains


class SentenceScorer:
    """Scores every sentence of some passages against a question.

    score = 0.55 lexical + 0.45 dense + a small prior for the passage's rank; when the question asks for a
    quantity or a date, sentences that state a number (other than the question's) gain and the others lose;
    a number the question names (a year, an amount) must appear in the sentence's passage; bibliography
    lines, questions and sentences of a few words lose; a definition gains when one is asked.
    """

    def __init__(self, index: Index):
        self.index = index

    def score(self, question: str, hits: list[Hit]) -> list[ScoredSentence]:
        """All sentences of `hits`, best first."""
        sentences = [
            ScoredSentence(hit=i, start=s, end=e, text=hit.text[s:e])
            for i, hit in enumerate(hits)
            for s, e in sentence_spans(hit.text)
        ]
        if not sentences:
            return []
        q_tokens = sorted(set(tokenize(question, drop=QUESTION_WORDS)))
        weights = dict(zip(q_tokens, self.index.idf(q_tokens), strict=True))
        total = sum(weights.values()) or 1.0
        vectors = self.index.sentences.vectors([s.text for s in sentences])
        query = np.asarray(self.index.embedder.embed_query(question))
        dense = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query) + 1e-9)
        wants_number, wants_year = asks_for_number(question), asks_for_year(question)
        # English words rarely match the French text: lean on the (multilingual) embedding
        lexical_weight = 0.3 if detect_language(question) == "en" else 0.55
        wants_definition = asks_for_definition(question)
        asked_numbers = numbers(question)
        passage_numbers = [numbers(hit.text) for hit in hits]
        quoted = [set(tokenize(q)) for q in _QUOTED.findall(question) if tokenize(q)]
        for sentence, similarity in zip(sentences, dense, strict=True):
            words = set(tokenize(sentence.text))
            sentence.covered = frozenset(t for t in weights if t in words and weights[t] > 0)
            sentence.lexical = sum(weights[t] for t in sentence.covered) / total
            sentence.dense = float(similarity)
            sentence.score = lexical_weight * sentence.lexical + (1 - lexical_weight) * sentence.dense
            sentence.score += 0.1 / (1 + sentence.hit)
            if wants_number:
                gives_number = bool(numbers(sentence.text, years=wants_year) - asked_numbers)
                sentence.score = sentence.score + 0.15 if gives_number else sentence.score * _NO_NUMBER_PENALTY
            if asked_numbers - passage_numbers[sentence.hit]:
                sentence.score *= _MISSING_NUMBER_PENALTY
            if _REFERENCE.search(sentence.text):
                sentence.score *= _REFERENCE_PENALTY
            if sentence.text.rstrip().endswith("?"):
                sentence.score *= _QUESTION_SENTENCE_PENALTY
            if len(sentence.text.split()) < 5:
                sentence.score *= _SHORT_SENTENCE_PENALTY
            if any(q <= words for q in quoted):  # what the question puts in quotes is what it is about
                sentence.score += _QUOTED_BONUS
            if wants_definition and DEFINITION.search(fold(sentence.text)):
                sentence.score += 0.1
        return sorted(sentences, key=lambda s: -s.score)


def asks_for_number(question: str) -> bool:
    """Whether the question asks for a quantity, an amount or a date."""
    return bool(_NUMBER_QUESTION.search(fold(question)))


def asks_for_definition(question: str) -> bool:
    """Whether the question asks what something is or means."""
    return bool(_DEFINITION_QUESTION.search(fold(question)))


def asks_for_year(question: str) -> bool:
    """Whether the question asks when (so that a year is an answer, not noise)."""
    return bool(_YEAR_QUESTION.search(fold(question)))


def numbers(text: str, years: bool = True) -> set[str]:
    """The numbers written in `text`, thousands separators removed, not those glued to letters ("M1", "3ème"):
    "5 000 et 18" -> {"5000", "18"}; without the years (1900-2099) when `years` is false."""
    found = set(re.findall(r"(?<![^\W\d_])\d+(?:[,.]\d+)?(?![^\W\d_])", normalize_numbers(text)))
    return found if years else {n for n in found if not _YEAR.fullmatch(n)}
