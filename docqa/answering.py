"""Answerers: the default extractive one (quotes the most relevant sentences of the retrieved passages, cited,
or abstains), and a generative one over any LangChain chat model whose output is checked against the passages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from docqa.analysis import QUESTION_WORDS, detect_language, fold, normalize_numbers, tokenize
from docqa.schema import Answer, Citation, Hit
from docqa.settings import Settings
from docqa.store import Index
from ingest.chunking import split_sentences

ABSTENTION = {
    "fr": "Les rapports ne permettent pas de répondre à cette question.",
    "en": "The reports do not answer this question.",
}
_NUMBER_QUESTION = re.compile(
    r"\b(combien|montant|nombre|proportion|part|taux|pourcentage|budget|taille|effectifs?|date|quand|annee|mois|"
    r"salaire|prix|cout|chiffre|valeur|duree|age|"
    r"how many|how much|percentage|share|rate|cost|amount|number|when|year|date)\b"
)
# What kind of value a question asks for, and how a sentence states one (matched on folded text).
_MONEY_QUESTION = re.compile(
    r"\b(budget|montant|cout|couter|prix|salaire|financement|investissement|levee|dote|dotation|chiffre d'affaires|"
    r"how much money|cost|funding|salary|price|budget)\b"
)
_MONEY = re.compile(r"\d\s*(€|k€|m€|md€|mds?\s*€|euros?|millions?|milliards?|mds?|\$|dollars?|£|billion|million)")
_PERCENT_QUESTION = re.compile(r"\b(proportion|pourcentage|taux|quelle part|share|percentage|rate|percent)\b")
_PERCENT = re.compile(r"\d\s*%|\bpour ?cent\b|\bpercent\b")
# A year the question sets as a time frame ("en 2024", "d'ici 2030"), not a year inside a name ("Plan IA 2021").
_TIME_FRAME = re.compile(
    r"\b(?:en|d'ici|depuis|avant|apres|debut|fin|au cours de|pour|in|by|since|before|after)\s+((?:19|20)\d{2})\b"
)
_HAS_NUMBER = re.compile(r"\d")
_BULLET = re.compile(r"^[•▪◦●○■□➢✓*\-–]\s*")
_MISSING_NUMBER_PENALTY = 0.6
_NO_NUMBER_PENALTY = 0.75
_LIST_ITEMS = 6  # sentences taken after one that announces a list
_MAX_LIST_CHARS = 600


@dataclass
class _Sentence:
    hit: int  # index into the hits
    start: int
    end: int
    text: str
    lexical: float = 0.0
    dense: float = 0.0
    score: float = 0.0
    covered: frozenset[str] = frozenset()


class ExtractiveAnswerer:
    """Answers by quoting the retrieved sentences that best match the question, each with its citation.

    A sentence's score mixes its coverage of the question's informative words (IDF-weighted, stemmed), its
    embedding similarity to the question, whether it holds a number when a number is asked, and the rank of its
    passage. It abstains when no passage is relevant enough.
    """

    name = "extractive"

    def __init__(self, index: Index, settings: Settings):
        self.index = index
        self.settings = settings

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        language = detect_language(question)
        sentences = self._score(question, hits)
        chosen = self._choose(sentences, hits) if sentences else []
        if (
            not chosen
            or sentences[0].score < self.settings.abstain_threshold
            or not _states_what_is_asked(question, " ".join(c.text for c in chosen))
        ):
            return Answer(question=question, answer=ABSTENTION[language], abstained=True, hits=hits, language=language)
        return _compose(question, language, chosen, hits, self.name, self.index)

    # ---- scoring ----------------------------------------------------------------------------------
    def _score(self, question: str, hits: list[Hit]) -> list[_Sentence]:
        sentences = [
            _Sentence(hit=i, start=s, end=e, text=hit.text[s:e])
            for i, hit in enumerate(hits)
            for s, e in split_sentences(hit.text)
            if len(hit.text[s:e]) >= 12
        ]
        if not sentences:
            return []
        q_tokens = sorted(set(tokenize(question, drop=QUESTION_WORDS)))
        weights = dict(zip(q_tokens, self.index.idf(q_tokens), strict=True))
        total = sum(weights.values()) or 1.0
        vectors = np.array(self.index.embedder.embed_documents([s.text for s in sentences]))
        query = np.array(self.index.embedder.embed_query(question))
        dense = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query) + 1e-9)
        wants_number = bool(_NUMBER_QUESTION.search(fold(question)))
        asked_numbers = _numbers(question)
        passage_numbers = [_numbers(hit.text) for hit in hits]
        for sentence, similarity in zip(sentences, dense, strict=True):
            words = set(tokenize(sentence.text))
            sentence.covered = frozenset(t for t in weights if t in words and weights[t] > 0)
            sentence.lexical = sum(weights[t] for t in sentence.covered) / total
            sentence.dense = float(similarity)
            gives_number = bool(_numbers(sentence.text) - asked_numbers)
            prior = 0.1 / (1 + sentence.hit)
            sentence.score = 0.55 * sentence.lexical + 0.45 * sentence.dense + prior
            if wants_number:  # a quantity or date is asked: the sentence should state one
                sentence.score = sentence.score + 0.15 if gives_number else sentence.score * _NO_NUMBER_PENALTY
            # a number the question names (a year, an amount) must appear in the passage
            if asked_numbers - passage_numbers[sentence.hit]:
                sentence.score *= _MISSING_NUMBER_PENALTY
        return sorted(sentences, key=lambda s: -s.score)

    def _following(self, sentence: _Sentence, hits: list[Hit], n: int) -> list[_Sentence]:
        """The `n` sentences after `sentence` on its page, read past the end of its chunk if need be."""
        hit = hits[sentence.hit]
        page = self.index.page_text(hit.doc_id, hit.page) or hit.text
        offset = hit.start + sentence.end
        spans = split_sentences(page[offset:])[:n]
        return [
            _Sentence(
                hit=sentence.hit,
                start=offset + a - hit.start,
                end=offset + b - hit.start,
                text=page[offset + a : offset + b],
            )
            for a, b in spans
        ]

    def _choose(self, sentences: list[_Sentence], hits: list[Hit]) -> list[_Sentence]:
        """The best sentence, then the sentences that cover parts of the question it leaves out (multi-part
        questions), within the sentence limit; a sentence that announces a list ("... :") is completed by
        the list, which ends the answer."""
        best = sentences[0]
        chosen: list[_Sentence] = []
        covered: set[str] = set()
        for sentence in sentences:
            if len(chosen) >= self.settings.max_answer_sentences or sentence.score < 0.6 * best.score:
                break
            if chosen:
                duplicate = any(_overlaps(sentence, c) or fold(sentence.text) == fold(c.text) for c in chosen)
                if duplicate or not (sentence.covered - covered or sentence.score >= 0.9 * best.score):
                    continue
            chosen.append(sentence)
            covered |= sentence.covered
            ends_with_colon = fold(sentence.text).rstrip().endswith(":")
            if ends_with_colon or (sentence is best and _announces(sentence.text)):
                items = _LIST_ITEMS if ends_with_colon or not _is_heading(sentence.text) else 2
                for item in self._following(sentence, hits, items):
                    if sum(len(c.text) for c in chosen) + len(item.text) > _MAX_LIST_CHARS:
                        break
                    chosen.append(item)
                break
        return chosen


def _announces(text: str) -> bool:
    """A sentence that introduces what follows: ends with ':', says "suivant(e)s"/"à savoir", or is a heading."""
    folded = fold(text).rstrip()
    if folded.endswith(":") or re.search(r"\b(suivante?s?|a savoir|ci-dessous|following)\b", folded):
        return True
    return _is_heading(text)


def _is_heading(text: str) -> bool:
    folded = fold(text).rstrip()
    return not folded.endswith(tuple(".!?…»):;")) and len(folded.split()) <= 12 and not _HAS_NUMBER.search(folded)


def _states_what_is_asked(question: str, answer: str) -> bool:
    """Whether the answer states the kind of value the question asks for: an amount of money for a budget or a
    cost, a percentage for a share or a rate, and the year the question sets as its time frame."""
    question, answer = fold(question), normalize_numbers(fold(answer))
    if _MONEY_QUESTION.search(question) and not _MONEY.search(answer):
        return False
    if _PERCENT_QUESTION.search(question) and not _PERCENT.search(answer):
        return False
    return all(year in answer for year in _TIME_FRAME.findall(question))


def _numbers(text: str) -> set[str]:
    """The numbers written in `text`, thousands separators removed: "5 000 et 18" -> {"5000", "18"}."""
    return set(re.findall(r"\d+(?:[,.]\d+)?", normalize_numbers(text)))


def _passage(hit: Hit, end: int, index: Index) -> str:
    """The hit's text, extended to `end` (relative to the hit) when the quote reads past the chunk."""
    if end <= len(hit.text):
        return hit.text
    page = index.page_text(hit.doc_id, hit.page)
    return page[hit.start : hit.start + end] if page else hit.text


def _overlaps(a: _Sentence, b: _Sentence) -> bool:
    return a.hit == b.hit and a.start < b.end and b.start < a.end


def _compose(
    question: str, language: str, chosen: list[_Sentence], hits: list[Hit], answerer: str, index: Index
) -> Answer:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts = []
    for sentence in chosen:
        if sentence.hit not in numbers:
            hit = hits[sentence.hit]
            numbers[sentence.hit] = len(numbers) + 1
            citations.append(
                Citation(
                    n=numbers[sentence.hit],
                    doc_id=hit.doc_id,
                    title=hit.title,
                    page=hit.page,
                    quote=sentence.text,
                    score=round(hit.score, 4),
                    chunk_id=hit.chunk_id,
                    passage=_passage(hit, max(c.end for c in chosen if c.hit == sentence.hit), index),
                )
            )
        else:
            citation = citations[numbers[sentence.hit] - 1]
            citation.quote += " … " + sentence.text
        text = _BULLET.sub("", sentence.text).strip()
        parts.append(f"{text} [{numbers[sentence.hit]}]")
    body = " ".join(parts)
    if language == "en":
        body = "According to the reports (quoted in French): " + body
    return Answer(
        question=question,
        answer=body,
        abstained=False,
        citations=citations,
        hits=hits,
        language=language,
        answerer=answerer,
    )


def build_answerer(index: Index, settings: Settings, fallback: ExtractiveAnswerer):
    """The answerer the settings select: extractive (default) or generative over the configured chat model."""
    if settings.answerer == "llm":
        from docqa.generative import GenerativeAnswerer
        from docqa.llm import build_chat_model

        return GenerativeAnswerer(build_chat_model(settings), fallback=fallback)
    return fallback
