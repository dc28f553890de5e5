"""Answerers: the default extractive one (quotes the most relevant sentences of the retrieved passages, cited,
or abstains), and a generative one over any LangChain chat model whose output is checked against the passages."""

from __future__ import annotations

import re

from docqa.analysis import detect_language, fold, normalize_numbers, terms, tokenize
from docqa.schema import Answer, Citation, Hit
from docqa.scoring import (
    DEFINITION,
    ScoredSentence,
    SentenceScorer,
    asks_for_definition,
    asks_for_number,
    asks_for_year,
    numbers,
)
from docqa.sentences import sentence_spans
from docqa.settings import Settings
from docqa.store import Index

ABSTENTION = {
    "fr": "Les rapports ne permettent pas de répondre à cette question.",
    "en": "The reports do not answer this question.",
}
# What kind of value a question asks for, and how a sentence states one (matched on folded text).
_MONEY_QUESTION = re.compile(
    r"\b(budget|montant|cout\w*|prix|salaire|financement|investissement|levee|dotation|amendes?|chiffre d'affaires|"
    r"how much money|cost|funding|salary|price|budget|fines?)\b"
)
_CURRENCY = r"€|k€|m€|md€|mds?\s*€|euros?|\$|dollars?"
# a sentence stating money (for a money question): also "10 millions", "3 Mds"
_MONEY = re.compile(rf"\d\s*({_CURRENCY}|millions?|milliards?|mds?|£|billion|million)")
_PERCENT_QUESTION = re.compile(r"\b(proportion|pourcentage|taux|quelle part|share|percentage|rate|percent)\b")
_PERCENT = re.compile(r"\d\s*%|\bpour ?cent\b|\bpercent\b")
_MONTHS = "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre"
_DAY_OF_MONTH = re.compile(rf"\b\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\b")
# an amount of money, to leave out of counts: not "10 millions" (of people)
_MONEY_AMOUNT = re.compile(rf"\d+(?:[,.]\d+)?\s*(?:{_CURRENCY}|millions? d'euros|milliards? d'euros)")
_PERCENT_AMOUNT = re.compile(r"\d+(?:[,.]\d+)?\s*(?:%|pour ?cent)")
# A year the question sets as a time frame ("en 2024", "d'ici 2030"), not a year inside a name ("Plan IA 2021").
_TIME_FRAME = re.compile(
    r"\b(?:en|d'ici|depuis|avant|apres|debut|fin|au cours de|pour|in|by|since|before|after)\s+((?:19|20)\d{2})\b"
)
# A sentence starting like this continues the previous one's subject.
_ANAPHORA = re.compile(
    r"^(ce|cet|cette|ces|cela|ceci|il|elle|ils|elles|celui|celle|ceux|son|sa|ses|leur|leurs|l’accord|"
    r"l'accord|il s’agit|il s'agit|this|these|it|they)\b",
    re.IGNORECASE,
)
_APOSTROPHE = str.maketrans({"’": " ", "'": " "})
_COUNT_QUESTION = re.compile(r"\b(combien|how many|nombre de|number of)\b")
# Capitalised words of questions that are not names
_NOT_NAMES = frozenset(
    "selon d'apres according quel quelle quels quelles comment combien qui que quoi what how which".split()
)
# English questions name French things by their English acronyms: either form is found
_FRENCH_ACRONYMS = {"AI": "IA", "EU": "UE", "GDPR": "RGPD", "WHO": "OMS"}
_HAS_NUMBER = re.compile(r"\d")
_BULLET = re.compile(r"^[•▪◦●○■□➢✓*\-–]\s*")
_LIST_ITEMS = 6  # sentences taken after one that announces a list
_MAX_LIST_CHARS = 600


class ExtractiveAnswerer:
    """Answers by quoting the retrieved sentences that best match the question, each with its citation.

    Sentences are scored by `SentenceScorer`. It abstains when the best sentence scores under the
    `abstain_threshold` setting, or when the answer does not state the kind of value asked (an amount, a
    percentage, the year the question sets).
    """

    name = "extractive"

    def __init__(self, index: Index, settings: Settings, scorer: SentenceScorer | None = None):
        self.index = index
        self.settings = settings
        self.scorer = scorer or SentenceScorer(index)

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        language = detect_language(question)
        self.wants_number, self.wants_year = asks_for_number(question), asks_for_year(question)
        self.wants_definition = asks_for_definition(question)
        sentences = self.scorer.score(question, hits)
        chosen = self._choose(sentences, hits) if sentences else []
        if (
            not chosen
            or sentences[0].score < self.settings.abstain_threshold
            or not _states_what_is_asked(question, chosen, _text_before(chosen[0], hits))
            or not self._names_what_is_asked(question, chosen, hits)
        ):
            return Answer(question=question, answer=ABSTENTION[language], abstained=True, hits=hits, language=language)
        return _compose(question, language, chosen, hits, self.name, self.index)

    def _names_what_is_asked(self, question: str, chosen: list[ScoredSentence], hits: list[Hit]) -> bool:
        """The names the question gives (acronyms, capitalised words: "ANS", "Jean Zay") are found in the
        passages the answer quotes or in their documents' title and publisher; with three names or more, one
        in three may be missing (English names of French things)."""
        names = question_names(question)
        if not names:
            return True
        documents = {d.doc_id: d for d in self.index.documents()}
        texts = []
        for i in {c.hit for c in chosen}:
            doc = documents.get(hits[i].doc_id)
            texts += [hits[i].text, hits[i].title, doc.publisher if doc else ""]
        context = re.sub(r"(?<=[A-Z])[-.](?=[A-Z])", "", " ".join(texts))  # "AP-HP" == "APHP"
        words, stems = set(terms(context)), set(tokenize(context))  # stems: "technologique" ~ "Technologiques"
        missing = [
            name
            for name in names
            if not (
                re.search(rf"\b(?:{re.escape(name)}|{re.escape(_FRENCH_ACRONYMS.get(name, name))})\b", context)
                if name.isupper()
                else fold(name) in words or set(tokenize(name)) <= stems
            )
        ]
        return len(missing) <= len(names) // 3

    def _following(self, sentence: ScoredSentence, hits: list[Hit], n: int) -> list[ScoredSentence]:
        """The `n` sentences after `sentence` on its page, read past the end of its chunk if need be."""
        hit = hits[sentence.hit]
        page = self.index.page_text(hit.doc_id, hit.page) or hit.text
        offset = hit.start + sentence.end
        spans = sentence_spans(page[offset:])[:n]
        return [
            ScoredSentence(
                hit=sentence.hit,
                start=offset + a - hit.start,
                end=offset + b - hit.start,
                text=page[offset + a : offset + b],
            )
            for a, b in spans
        ]

    def _choose(self, sentences: list[ScoredSentence], hits: list[Hit]) -> list[ScoredSentence]:
        """The best sentence, then the sentences that cover parts of the question it leaves out (multi-part
        questions), within the sentence limit; a sentence that announces a list ("... :") is completed by
        the list, which ends the answer."""
        best = sentences[0]
        chosen: list[ScoredSentence] = []
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
        label = _label_before(best, sentences)
        if label is not None and label not in chosen:
            chosen.insert(0, label)
        if best is chosen[-1] or (label is not None and len(chosen) == 2):
            chosen += [s for s in self._following(best, hits, 1) if self._completes(best, s)]
        return chosen

    def _completes(self, best: ScoredSentence, following: ScoredSentence) -> bool:
        """Whether the sentence after the best one carries what the best one only introduces: the number or
        definition asked and absent from it, or the rest of its subject (a short best sentence, or a next
        sentence that refers back to it: "Ces thérapies...", "Il s'agit de...")."""
        if self.wants_number and not _states_number(best.text, self.wants_year):
            return _states_number(following.text, self.wants_year)
        if self.wants_definition and not DEFINITION.search(fold(best.text)):
            return True
        return len(best.text.split()) < 12 or bool(_ANAPHORA.match(following.text))


def _announces(text: str) -> bool:
    """A sentence that introduces what follows: ends with ':', says "suivant(e)s"/"à savoir", or is a heading."""
    folded = fold(text).rstrip()
    if folded.endswith(":") or re.search(r"\b(suivante?s?|a savoir|ci-dessous|following)\b", folded):
        return True
    return _is_heading(text)


def _is_heading(text: str) -> bool:
    folded = fold(text).rstrip()
    return not folded.endswith(tuple(".!?…»):;")) and len(folded.split()) <= 12 and not _HAS_NUMBER.search(folded)


def _states_what_is_asked(question: str, chosen: list[ScoredSentence], context_before: str = "") -> bool:
    """Whether the main passage of the answer (the best sentence's) states the kind of value the question asks
    for: an amount of money for a budget or a cost, a percentage for a share or a rate, a number that is not
    a year (nor the question's) for a count, and the year the question sets as its time frame in the main
    sentence (or the list it announces) or in `context_before`, the text just before it."""
    folded = fold(question)
    answer = normalize_numbers(fold(" ".join(c.text for c in chosen if c.hit == chosen[0].hit)))
    if _MONEY_QUESTION.search(folded) and not _MONEY.search(answer):
        return False
    if _PERCENT_QUESTION.search(folded) and not _PERCENT.search(answer):
        return False
    if _COUNT_QUESTION.search(folded) and not _counts(answer, question) - numbers(folded):
        return False
    main_sentences = [c for c in chosen if c.hit == chosen[0].hit] if _announces(chosen[0].text) else chosen[:1]
    main = normalize_numbers(fold(" ".join([context_before] + [c.text for c in main_sentences])))
    return all(year in main for year in _TIME_FRAME.findall(folded))


def _counts(answer: str, question: str) -> set[str]:
    """The numbers of a (folded) answer that can answer "how many": not the day of a date ("4 decembre"),
    nor an amount of money or a percentage unless the question asks for one, nor a year unless it asks when."""
    folded = fold(question)
    answer = _DAY_OF_MONTH.sub(" ", answer)
    if not _MONEY_QUESTION.search(folded):
        answer = _MONEY_AMOUNT.sub(" ", answer)
    if not _PERCENT_QUESTION.search(folded):
        answer = _PERCENT_AMOUNT.sub(" ", answer)
    return numbers(answer, years=asks_for_year(question))


def _text_before(sentence: ScoredSentence, hits: list[Hit], chars: int = 300) -> str:
    """Up to `chars` characters of the passage before `sentence` (what sets its context)."""
    return hits[sentence.hit].text[max(0, sentence.start - chars) : sentence.start]


def _label_before(best: ScoredSentence, sentences: list[ScoredSentence]) -> ScoredSentence | None:
    """The short line ending with ':' right before the best sentence in its passage (a slide's label such as
    "Servier – WeHealth Digital Medicine :"), which says what the sentence is about."""
    before = [s for s in sentences if s.hit == best.hit and s.end <= best.start]
    if not before:
        return None
    previous = max(before, key=lambda s: s.start)
    is_label = previous.text.rstrip().endswith(":") and len(previous.text.split()) <= 12
    return previous if is_label and best.start - previous.end <= 2 else None


def _states_number(text: str, years: bool) -> bool:
    return bool(numbers(text, years=years))


def question_names(question: str) -> list[str]:
    """Names in a question: acronyms as written, and capitalised words that do not start it, folded
    ("Quel budget pour l'Agence du numérique (ANS) ?" -> ["agence", "ANS"])."""
    words = re.findall(r"[^\W\d_][\w-]*", question.translate(_APOSTROPHE))
    names: list[str] = []
    for i, word in enumerate(words):
        if word.isupper() and len(word) > 1:
            names.append(word.replace("-", ""))
        elif i > 0 and word[0].isupper():
            names += [t for t in terms(word) if t not in _NOT_NAMES and len(t) > 1]
    return names


def _passage(hit: Hit, end: int, index: Index) -> str:
    """The hit's text, extended to `end` (relative to the hit) when the quote reads past the chunk."""
    if end <= len(hit.text):
        return hit.text
    page = index.page_text(hit.doc_id, hit.page)
    return page[hit.start : hit.start + end] if page else hit.text


def _overlaps(a: ScoredSentence, b: ScoredSentence) -> bool:
    return a.hit == b.hit and a.start < b.end and b.start < a.end


def _compose(
    question: str, language: str, chosen: list[ScoredSentence], hits: list[Hit], answerer: str, index: Index
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
