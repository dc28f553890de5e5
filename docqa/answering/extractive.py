"""The extractive answerer: a short direct answer for typed questions, then the best sentences of the retrieved
passages quoted with their citations; or an abstention when the abstention model's answerability is under the
calibrated threshold or the answer fails a named check (`docqa.answering.checks`)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from docqa.answering.base import abstention
from docqa.answering.checks import failed_check, names_known, names_stated
from docqa.answering.lead import Lead, LeadModel, direct_answer
from docqa.question import Question, names
from docqa.schema import Answer, Citation, Hit
from docqa.scoring import DEFINITION, REFERENCE, ScoredSentence, SentenceScorer, cosines, is_heading
from docqa.settings import Settings
from docqa.store import Index
from docqa.text import fold, headings, numbers, sentence_spans, tokenize

if TYPE_CHECKING:
    from docqa.retrieval import Evidence

# the line of a part of a multi-part question that the reports do not answer
UNANSWERED_PART = {
    "fr": "« {part} » : les rapports ne le disent pas.",
    "en": "“{part}”: the reports do not say.",
}
_BULLET = re.compile(r"^[•▪◦●○■□➢✓*\-–]\s*")
_MARK = re.compile(r"^(?:[•▪◦●○■□➢✓]|[*\-–](?!\s*\d))\s*")  # a bullet mark, not a number's sign ("-15 %")
# a word calling a footnote: "datamarts*", "FLOPS(2)", "médecine dite « 5P(14) »"
_FOOTNOTE_MARK = r"\(\d{1,3}\)|\*{1,3}"
_FOOTNOTE_CALL = re.compile(rf"(?<![*\w])(\w+)({_FOOTNOTE_MARK})(?![*\w])")  # not Markdown's **emphasis**


# a question or one of its parts, with the sentences that answer it and the value its answer leads with
Segment = tuple[Question, list[ScoredSentence], Lead | None]


class ExtractiveAnswerer:
    """Answers by quoting the sentences the selector scores best, each with its citation.

    The best sentence, then sentences that add what it leaves out (a word of the question, another document),
    while they score at least `answer_relative_score` of the best one; a sentence that announces a list is
    followed by the list's items. A multi-part question is answered part by part (`select`); a typed question
    leads with its value (`docqa.answering.lead`).
    """

    name = "extractive"

    def __init__(self, index: Index, settings: Settings, scorer: SentenceScorer, lead: LeadModel | None = None):
        self.index = index
        self.settings = settings
        self.scorer = scorer
        self._lead = lead

    @property
    def lead(self) -> LeadModel:
        """The lead model (`docqa/lead.json` unless given), loaded at its first use."""
        if self._lead is None:
            self._lead = LeadModel.load()
        return self._lead

    @property
    def threshold(self) -> float:
        setting = self.settings.abstain_threshold
        return self.scorer.selector.threshold if setting is None else setting

    def answer(self, evidence: Evidence) -> Answer:
        segments, reason = self.select(evidence)
        if not segments:
            return abstention(evidence, self.name, reason)
        return self._compose(evidence.question, segments, evidence.hits)

    def select(self, evidence: Evidence) -> tuple[list[Segment], str]:
        """What the answer quotes: the question with its chosen sentences; for a multi-part question, each part
        with the sentences that answer it (none for a part they do not), when they answer one part at least;
        nothing, and why, when docqa abstains."""
        question, hits = evidence.question, evidence.hits
        selector = self.scorer.selector
        if not selector.on_topic(question, evidence.sentences, self.settings.off_topic_threshold):
            return [], ""
        if evidence.parts:
            parts = zip(question.parts, evidence.parts, strict=True)
            segments = [self._answer_part(evidence, part, scored) for part, scored in parts]
            if any(chosen for _, chosen, _ in segments):
                return segments, ""
        sentences = [s for s in evidence.sentences if self._quotable(s, hits, question)]
        paraphrase = self.paraphrase(evidence.sentences)
        # (the abstention model was fitted on all the scored sentences, quotable or not)
        if not sentences or not self.answerable(question, evidence.sentences, paraphrase):
            return [], ""
        if reason := self._unknown(question, paraphrase):
            return [], reason
        segment = self._settle(question, self._choose(evidence, sentences, paraphrase), hits)
        return ([segment], "") if isinstance(segment, tuple) else ([], segment)

    def _answer_part(self, evidence: Evidence, part: Question, scored: list[ScoredSentence]) -> Segment:
        """One part of a multi-part question with the sentences that answer it on their own (answerability and
        checks read on the part), or none."""
        sentences = [s for s in scored if self._quotable(s, evidence.hits, part)]
        paraphrase = self.paraphrase(scored)
        if not sentences or not self.answerable(part, scored, paraphrase) or self._unknown(part, paraphrase):
            return part, [], None
        chosen = self._choose(replace(evidence, question=part, sentences=sentences, parts=()), sentences, paraphrase)
        segment = self._settle(part, chosen, evidence.hits)
        return segment if isinstance(segment, tuple) else (part, [], None)

    def answerable(self, question: Question, scored: list[ScoredSentence], paraphrase: bool) -> bool:
        """Whether the abstention model finds the (part of the) question answerable at the threshold; a paraphrase
        is not held to it: the model reads how well the best sentences match the question's words, which a
        paraphrase's passage does not (out of fold, 40 of the 41 training questions so far from their passages
        are answerable)."""
        return paraphrase or self.scorer.selector.answerability(question, scored) >= self.threshold

    def _unknown(self, question: Question, paraphrase: bool) -> str:
        """Why the question cannot be answered when it names what no document writes (not for a paraphrase)."""
        return names_known(question) if self.settings.check_unknown_names and not paraphrase else ""

    def _settle(self, question: Question, chosen: list[ScoredSentence], hits: list[Hit]) -> Segment | str:
        """The segment of a (part of a) question with its chosen sentences, or the reason of the check they fail.
        Its value leads when the lead model gives it `lead_min_probability`, from a page that names what the
        question names (`check_names`: the other quotes' pages may, a budget of another agency's page does not);
        with `lead_alone_min_probability`, the value's sentence is the only quote, when it passes the checks alone:
        the other sentences were chosen to find it."""
        if reason := self._failed_check(question, chosen, hits):
            return reason
        settings = self.settings
        lead = direct_answer(question, chosen, self.lead)
        if lead is None or lead.probability < settings.lead_min_probability:
            return question, chosen, None
        alone = [lead.sentence]
        if (context := self._names_context(question, alone, hits)) and (reason := names_stated(question, context)):
            return reason
        if lead.probability >= settings.lead_alone_min_probability and not self._failed_check(question, alone, hits):
            chosen = alone
        return question, chosen, lead

    def _failed_check(self, question: Question, chosen: list[ScoredSentence], hits: list[Hit]) -> str:
        return failed_check(question, chosen, hits, self.settings, self._names_context(question, chosen, hits))

    def _names_context(self, question: Question, chosen: list[ScoredSentence], hits: list[Hit]) -> str:
        """What the names check reads (`_cited_pages`), "" when it reads nothing: the check is off, or the question
        names nothing distinctive."""
        return self._cited_pages(chosen, hits) if question.distinctive and self.settings.check_names else ""

    def _cited_pages(self, chosen: list[ScoredSentence], hits: list[Hit]) -> str:
        """The text of the pages the chosen sentences are on (the whole document when it has no pages: measured,
        a window of 3 000 characters around the passage made the names check abstain on more answerable
        questions), with their documents' titles and publishers."""
        documents = {d.doc_id: d for d in self.index.documents()}
        texts = []
        for doc_id, page in dict.fromkeys((hits[s.hit].doc_id, hits[s.hit].page) for s in chosen):
            doc = documents.get(doc_id)
            texts += [self.index.page_text(doc_id, page), doc.title if doc else "", doc.publisher if doc else ""]
        return "\n".join(texts)

    def _quotable(self, sentence: ScoredSentence, hits: list[Hit], question: Question | None = None) -> bool:
        """Not a line the document repeats on many pages (running header, agenda slide; but a legend that defines
        the term a definition question quotes, which a deck repeats under each slide of its table), nor a
        question, nor a bibliography or source line."""
        text = sentence.text.rstrip()
        if text.endswith("?") or REFERENCE.search(text):
            return False
        if self.index.repeats(hits[sentence.hit].doc_id, sentence.text) < self.settings.repeated_line_places:
            return True
        return question is not None and question.answer_type == "definition" and self._defines(question, text)

    def _defines(self, question: Question, text: str) -> bool:
        """Whether `text` starts with a term the question quotes, after its bullet or footnote mark, and goes on to
        say more than `legend_tail_chars` characters ("* Impact direct métier qui utilise ..." for « impact
        direct »): a legend or a glossary entry."""
        head = fold(_BULLET.sub("", text.lstrip("*† ")))
        more = self.settings.legend_tail_chars
        return any(head.startswith(fold(term)) and len(head) > len(term) + more for term in question.quoted)

    # ---- selection ---------------------------------------------------------------------------------------
    def _choose(
        self, evidence: Evidence, sentences: list[ScoredSentence], paraphrase: bool = False
    ) -> list[ScoredSentence]:
        question, hits = evidence.question, evidence.hits
        top = sentences[0].score  # the selector's best score, which sets how well a further sentence must score
        sentences = self._paraphrase_first(question, sentences) if paraphrase else sentences
        best = sentences[0]
        # an enumeration the passages announce is the answer to a list question, unless the best sentence enumerates
        if question.answer_type == "list" and inline_items(best.text) < self.settings.list_inline_items:
            floor = self.settings.list_relative_score * best.score
            announcing = (s for s in sentences if s.score >= floor and s.text.rstrip().endswith(":"))
            best = next((s for s in announcing if self._items(s, hits)), best)
            top = best.score
        chosen = [best]
        floor = self.settings.answer_relative_score * top
        for part in evidence.parts:  # the best sentence of each part not answered yet
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            scored = [s for s in part if self._quotable(s, hits)]
            if scored and scored[0].score >= floor and not any(_same(scored[0], c) for c in chosen):
                chosen.append(scored[0])
        covered = set().union(*(c.covered for c in chosen))
        for sentence in sentences[1:]:
            if len(chosen) >= self.settings.max_answer_sentences or sentence.score < floor:
                break
            if any(_same(sentence, c) for c in chosen):
                continue
            new_document = all(hits[c.hit].doc_id != hits[sentence.hit].doc_id for c in chosen)
            if sentence.covered - covered or new_document:
                chosen.append(sentence)
                covered |= sentence.covered
        done: list[ScoredSentence] = []
        for sentence in self._complete(question, chosen, hits):
            if not any(_same(sentence, d) for d in done):
                done.append(sentence)
        return done

    def _paraphrase_first(self, question: Question, sentences: list[ScoredSentence]) -> list[ScoredSentence]:
        """A paraphrase's `sentences` with the one nearest to the question in the embedding first: a paraphrase
        shares few of its passage's words, so the selector, which learnt mostly from word matches, ranks its
        answer low (measured: out of fold, the nearest sentence answers 0.57 of such questions, the selector's
        best 0.21). Not for a list question, whose best sentence announces the list; for a question asking a
        value, the nearest that states one."""
        if question.answer_type == "list":
            return sentences
        stating = [j for j, s in enumerate(sentences) if not question.wants_value or s.features.get("type_value")]
        if not stating:
            return sentences
        nearness = self._nearness(question, sentences)
        nearest = sentences[max(stating, key=lambda j: nearness[j])]
        return [nearest, *(s for s in sentences if s is not nearest)]

    def _nearness(self, question: Question, sentences: list[ScoredSentence]) -> np.ndarray:
        """How near each sentence is to the question: its cosine in the index's embedding ("dense") and, with a
        `paraphrase_embedder`, in that one too, both as z-scores among `sentences` (the models' cosines spread
        differently; all the passages' sentences, so that two left to choose from keep their distance). Measured
        out of fold on the training paraphrases: e5 with USE picks an answering sentence more often than USE
        alone (19 against 15 of 47 answered right)."""
        own = np.array([s.features.get("dense", 0.0) for s in sentences])
        second = self.index.paraphrase_sentences
        if second is None or len(sentences) < 2:
            return own
        vectors = second.vectors([s.text for s in sentences])
        return _z_scores(own) + _z_scores(cosines(vectors, second.embed_query(question.text)))

    def paraphrase(self, scored: list[ScoredSentence]) -> bool:
        """Whether the question is a paraphrase of its passages: none of their `scored` sentences holds
        `paraphrase_max_coverage` of its words, weighted by rarity."""
        coverage = max((s.features.get("lex", 0.0) for s in scored), default=1.0)
        return coverage < self.settings.paraphrase_max_coverage

    def _complete(self, question: Question, chosen: list[ScoredSentence], hits: list[Hit]) -> list[ScoredSentence]:
        """A sentence that announces a list gets the list's items; a heading or label, a sentence that announces
        what follows it but no list, or a sentence that only names the term a definition question asks about, gets
        the sentence after it (and that sentence's items when it announces a list). A name question's best
        sentence that names nothing the question does not gets the sentence before it when that one does: the
        label it is under ("Novara – Lumen : ▪ Créée en 2018, cette marque ...") or what it refers back to ("...
        l'assistant Helix. Ouvert aux salariés, cet outil ...")."""
        done: list[ScoredSentence] = []
        for sentence in chosen:
            if question.answer_type == "name" and sentence is chosen[0] and not self._names_new(question, sentence):
                before = self._preceding(sentence, hits)
                if before is not None and self._names_new(question, before):
                    done.append(before)
            done.append(sentence)
            if any(_overlaps(sentence, d) for d in done[:-1]):
                continue
            text = sentence.text.rstrip()
            if text.endswith(":") or (question.answer_type == "list" and sentence is chosen[0]):
                items = self._items(sentence, hits)
                if items:
                    done += [i for i in items if not any(_same(i, d) for d in done)]
                    continue
            if question.answer_type == "definition" and self.settings.definition_footnotes:
                note = self._footnote(question, sentence, hits)
                if note is not None:
                    if not any(_same(note, d) for d in done):
                        done.append(note)
                    continue
            needs_next = (
                is_heading(text)
                or text.endswith(":")
                or (question.answer_type == "definition" and not DEFINITION.search(fold(text)))
            )
            if needs_next:
                for after in self._following(sentence, hits, 1):
                    if any(_same(after, d) for d in done):
                        continue
                    done.append(after)
                    if after.text.rstrip().endswith(":"):  # a heading, then the sentence announcing a list
                        done += [i for i in self._items(after, hits) if not any(_same(i, d) for d in done)]
        return done

    def _footnote(self, question: Question, sentence: ScoredSentence, hits: list[Hit]) -> ScoredSentence | None:
        """The footnote that `sentence` calls on a word of the question ("conçoit des datamarts*" -> "* Magasin de
        données ou comptoir de données"): read on its page after it, from the same mark to the end of the note's
        first sentence or to the next note; or none. Reports define their terms there."""
        terms = set(question.terms)
        calls = [m.group(2) for m in _FOOTNOTE_CALL.finditer(sentence.text) if set(tokenize(m.group(1))) & terms]
        if not calls:
            return None
        page, offset = self._page(hits[sentence.hit])
        for mark in calls:
            note = _note(re.escape(mark)).search(page, offset + sentence.end)
            if note is None:
                continue
            start = note.start(1)
            following = _note(_FOOTNOTE_MARK, after_space=True).search(page, note.end())
            end = following.start(1) if following else len(page)
            spans = sentence_spans(page[start:end])
            if not spans:
                continue
            a, b = spans[0]
            text = page[start + a : start + b]
            found = ScoredSentence(sentence.hit, start + a - offset, start + b - offset, text, features={"note": 1.0})
            source = REFERENCE.search(page[note.end() : start + b])  # a source or a web address defines nothing
            return found if self._quotable(found, hits) and not source else None
        return None

    def _items(self, sentence: ScoredSentence, hits: list[Hit]) -> list[ScoredSentence]:
        """The items of the list that `sentence` announces: the lines after it, read past the end of its chunk
        (and onto the next page) if need be, while they look like items (bullets, or short lines), within
        `list_max_items` and `list_max_chars`."""
        items: list[ScoredSentence] = []
        chars = len(sentence.text)
        for following in self._following(sentence, hits, self.settings.list_max_items, skip_repeated=False):
            text = following.text.strip()
            if REFERENCE.search(text) and not _BULLET.match(text):  # a slide's sources close its list
                break
            if not (_BULLET.match(text) or len(text.split()) <= self.settings.list_item_words):
                break
            if chars + len(text) > self.settings.list_max_chars:
                break
            items.append(following)
            chars += len(text)
        return items if len(items) >= 2 else []

    def _names_new(self, question: Question, sentence: ScoredSentence) -> bool:
        """Whether `sentence` names something particular (not a word of the topic nor of a title, `ordinary`
        words) that the question does not."""
        ordinary = self.index.ordinary_words()
        return any(fold(n) not in ordinary for n in set(names(sentence.text)) - set(question.entities))

    def _preceding(self, sentence: ScoredSentence, hits: list[Hit]) -> ScoredSentence | None:
        """The quotable sentence just before `sentence` on its page (read before its chunk if need be), if any."""
        page, base = self._page(hits[sentence.hit])
        spans = sentence_spans(page[: base + sentence.start])
        if not spans:
            return None
        a, b = spans[-1]
        before = ScoredSentence(hit=sentence.hit, start=a - base, end=b - base, text=page[a:b])
        return before if self._quotable(before, hits) else None

    def _following(
        self, sentence: ScoredSentence, hits: list[Hit], n: int, skip_repeated: bool = True
    ) -> list[ScoredSentence]:
        """The `n` sentences after `sentence` on its page, read past the end of its chunk if need be; with
        `skip_repeated`, the lines the document repeats (running headers and footers) are skipped (not the items
        of a list, which a deck may repeat as slide titles)."""
        hit = hits[sentence.hit]
        page, base = self._page(hit)
        offset = base + sentence.end
        following = []
        for a, b in sentence_spans(page[offset:]):
            if len(following) == n:
                break
            candidate = ScoredSentence(
                hit=sentence.hit,
                start=offset + a - base,
                end=offset + b - base,
                text=page[offset + a : offset + b],
            )
            if not skip_repeated or self._quotable(candidate, hits):
                following.append(candidate)
        return following

    # ---- composition -------------------------------------------------------------------------------------
    def _compose(self, question: Question, segments: list[Segment], hits: list[Hit]) -> Answer:
        """The answer: for each (part of the) question, its direct answer then its quotes, each with the number
        of its passage's citation (a part without quotes: a line saying the reports do not say; a sentence
        quoted for an earlier part is not quoted again)."""
        ends: dict[int, int] = {}  # how far the quotes read into each passage
        for sentence in (s for _, chosen, _ in segments for s in chosen if not s.features.get("note")):
            ends[sentence.hit] = max(ends.get(sentence.hit, 0), sentence.end)
        citations: dict[int, Citation] = {}  # by passage
        quoted: list[tuple[ScoredSentence, int]] = []  # each quote with its citation number
        lines: list[str] = []

        def cite(sentence: ScoredSentence) -> tuple[int, bool]:
            """The citation number of `sentence`, and whether it is new (not a copy of an earlier quote)."""
            earlier = next((n for q, n in quoted if _same(sentence, q)), None)
            if earlier is not None:
                return earlier, False
            citation = citations.get(sentence.hit)
            if citation is None:
                citation = citations[sentence.hit] = self._citation(
                    len(citations) + 1, hits[sentence.hit], sentence, ends[sentence.hit]
                )
            else:
                citation.quote += " … " + _quoted(sentence)
            if sentence.features.get("note") and sentence.text not in citation.passage:  # further down its page
                citation.passage += " … " + sentence.text
            quoted.append((sentence, citation.n))
            return citation.n, True

        for part, chosen, lead in segments:
            if not chosen:
                lines.append(UNANSWERED_PART[question.language].format(part=part.text.rstrip(" ?")))
                continue
            quotes = []
            for sentence in chosen:
                n, new = cite(sentence)
                if new:
                    quotes.append(f"{_quoted(sentence)} [{n}]")
            if lead is not None:
                lines.append(f"{lead.text} [{cite(lead.sentence)[0]}]")
            if quotes:
                lines += quotes if _is_list(chosen) else [" ".join(quotes)]
        return Answer(
            question=question.text,
            answer="\n".join(lines),
            abstained=False,
            citations=list(citations.values()),
            hits=hits,
            language=question.language,
            answerer=self.name,
        )

    def _citation(self, n: int, hit: Hit, sentence: ScoredSentence, end: int) -> Citation:
        return Citation(
            n=n,
            doc_id=hit.doc_id,
            title=hit.title,
            page=hit.page,
            quote=_quoted(sentence),
            score=round(hit.score, 4),
            chunk_id=hit.chunk_id,
            passage=self._passage(hit, end),
            section=self._section(hit, sentence.start),
            ocr=hit.ocr,
        )

    def _passage(self, hit: Hit, end: int) -> str:
        """The hit's text, extended to `end` (relative to the hit) when the quote reads past the chunk."""
        if end <= len(hit.text):
            return hit.text
        page, base = self._page(hit)
        return page[base : base + end]

    def _section(self, hit: Hit, start: int) -> str:
        """The heading a quote starting at `start` of the hit falls under, read on its page when the quote lies past
        the hit's end (a list read on)."""
        text, base = (hit.text, 0) if start < len(hit.text) else self._page(hit)
        return quoted_section(text, base + start, hit.section)

    def _page(self, hit: Hit) -> tuple[str, int]:
        """The text of the hit's page and where the hit starts in it (the hit's own text, from 0, when the index
        has no text for its page)."""
        page = self.index.page_text(hit.doc_id, hit.page)
        return (page, hit.start) if page else (hit.text, 0)


def _note(mark: str, after_space: bool = False) -> re.Pattern[str]:
    """Where a footnote marked `mark` (a pattern) starts (group 1): the mark begins a line (after spaces or bullets
    if any) or follows a bullet ("... saisir. • • •(2) Unité de mesure ..."), or, `after_space`, any space (where
    the next note ends one that cleaning joined to it), and a word follows it."""
    before = r"(?<=[\s•▪◦●])" if after_space else r"(?<=[•▪◦●])"
    return re.compile(rf"(?:^[ \t•▪◦●]*|{before})({mark})[ \t]*(?=\w)", re.MULTILINE)


def _quoted(sentence: ScoredSentence) -> str:
    """A sentence as the answer and its citation quote it: without its bullet mark ("- ", "• ")."""
    return _MARK.sub("", sentence.text).strip()


def _is_list(chosen: list[ScoredSentence]) -> bool:
    return len(chosen) > 2 and chosen[0].text.rstrip().endswith(":")


def _overlaps(a: ScoredSentence, b: ScoredSentence) -> bool:
    return a.hit == b.hit and a.start < b.end and b.start < a.end


def inline_items(text: str) -> int:
    """How many items a sentence enumerates after a colon ("quatre niveaux : inacceptable, haut, limité et
    minime" -> 4; 0 without a colon inside it)."""
    head, colon, tail = text.rstrip().partition(":")
    if not colon or not tail.strip():
        return 0
    return len([item for item in re.split(r"[,;]|\bet\b|\band\b", tail) if item.strip(" .")])


def _same(a: ScoredSentence, b: ScoredSentence, threshold: float = 0.8) -> bool:
    """The same sentence, or a near-copy of it (word-set Jaccard >= threshold, the same numbers), possibly from
    another passage: "40 projets en 2022" is no copy of "55 projets en 2023"."""
    if _overlaps(a, b) or fold(a.text) == fold(b.text):
        return True
    x, y = set(tokenize(a.text)), set(tokenize(b.text))
    return bool(x and y) and len(x & y) / len(x | y) >= threshold and numbers(a.text) == numbers(b.text)


def _z_scores(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)


def quoted_section(text: str, start: int, default: str) -> str:
    """The heading a quote starting at `start` in `text` falls under: the last heading of `text` before it, else
    `default` (the heading `text` starts under)."""
    return next((title for offset, title in reversed(headings(text)) if offset <= start), default)
