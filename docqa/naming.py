"""Which documents a question names: a question that cites the Institut Montaigne -> the note it published; one
that cites AEC and SMT -> the AEC study whose title says SMT. Read from the documents' own metadata (title,
publisher) and text, not from a list of aliases."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

from docqa.question import Question, name_runs
from docqa.schema import DocumentInfo
from docqa.text import fold, join_acronyms, terms, tokenize


def designations(
    documents: list[DocumentInfo], chunk_counts: dict[str, Counter[str]], chunks: Counter[str], topic_share: float
) -> dict[str, frozenset[str]]:
    """Word of a document's title or publisher -> the documents it designates: those whose metadata says it,
    unless every document's does, or another document uses it in `topic_share` of its chunks or more: then it is
    a word of the topic ("IA", in two titles but written all over every report), not a name. `chunk_counts`:
    document -> in how many of its chunks each word is; `chunks`: document -> its number of chunks."""
    owners: dict[str, set[str]] = {}
    for doc in documents:
        for word in terms(f"{doc.title} {doc.publisher}"):
            owners.setdefault(word, set()).add(doc.doc_id)
    return {
        word: frozenset(docs)
        for word, docs in owners.items()
        if len(docs) < len(documents)
        and all(chunk_counts.get(d, Counter())[word] < topic_share * n for d, n in chunks.items() if d not in docs)
    }


def ordinary_words(
    documents: list[DocumentInfo], chunk_counts: dict[str, Counter[str]], chunks: Counter[str], topic_share: float
) -> frozenset[str]:
    """Words that name no particular thing of the documents: the words of their titles and publishers (they name
    a document, or the topic: "IA") and the words written in `topic_share` of all the chunks or more ("France" in
    reports on France)."""
    words = {word for doc in documents for word in terms(f"{doc.title} {doc.publisher}")}
    total = Counter[str]()
    for counts in chunk_counts.values():
        total.update(counts)
    n = sum(chunks.values())
    return frozenset(words | {word for word, count in total.items() if count >= topic_share * n})


def distinctive_names(
    question: Question, ordinary: frozenset[str], known: Callable[[str], bool]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The names of a question that designate a particular thing ("Samsung", "Allemagne", "CNIL"), each with the
    corpus words that translate it (analysed): not a word of a document's title or of the topic (`ordinary`:
    `ordinary_words`), not a two-letter acronym ("DM", "UE": often an abbreviation the text spells out), not a
    piece of a hyphenated or longer word ("Pays-Bas", "39BIS"), and written by the corpus (`known`) or, in an
    English question, translated into a word it writes by the query expansion or by CLDR ("Germany" -> the stem
    of "Allemagne"; `docqa.retrieval.with_place_names`).
    """
    out = []
    for name in _particular(question, ordinary):
        translated = _translations(question, name)
        if known(name) or translated:
            out.append((name, translated))
    return tuple(out)


def unknown_names(question: Question, ordinary: frozenset[str], known: Callable[[str], bool]) -> tuple[str, ...]:
    """The names of a question that designate a particular thing (as `distinctive_names` reads them) and that no
    document writes (`known`: whether the corpus writes a word), neither whole, nor translated into a word it
    writes (an English name, "Germany" -> "Allemagne"), nor, for an acronym written with hyphens ("EOLE-VAL"),
    piece by piece: "Leverkusen", "Québec", "Spain"."""
    return tuple(
        name
        for name in _particular(question, ordinary)
        if not known(name) and not _translations(question, name) and not _pieces_known(question, name, known)
    )


def _translations(question: Question, name: str) -> tuple[str, ...]:
    """The corpus's words (analysed) that translate a name of the question (`Question.concepts`)."""
    own = set(tokenize(name))
    return tuple(t for concept in question.concepts if concept[0] in own for t in concept[1:])


def _particular(question: Question, ordinary: frozenset[str]) -> list[str]:
    """The question's names that may designate a particular thing: not a word of a document's title or of the
    topic (`ordinary`), not a two-letter acronym, not a piece of a hyphenated or longer word."""
    asked = fold(join_acronyms(question.text))  # "AP-HP" is the name "APHP"
    return [
        name
        for name in question.entities
        if fold(name) not in ordinary
        and not (name.isupper() and len(name) < 3)
        and re.search(rf"(?<![\w-]){re.escape(fold(name))}(?![\w-])", asked)
    ]


def _pieces_known(question: Question, name: str, known: Callable[[str], bool]) -> bool:
    """Whether the question writes `name` in pieces (an acronym with hyphens or dots) that the corpus writes."""
    pattern = r"[-.]?".join(map(re.escape, name))
    written = re.search(rf"(?<![\w-]){pattern}(?![\w-])", question.text)
    pieces = re.split(r"[-.]", written.group()) if written else []
    return len(pieces) > 1 and all(known(piece) for piece in pieces if piece)


def named_documents(
    question: Question, names: dict[str, frozenset[str]], foreign: Callable[[str], bool] | None = None
) -> dict[str, float]:
    """Document -> how strongly the question's names designate it (1 for the best designated): the number of
    distinct designations that include it, over the largest such number ("AEC" and "SMT" -> the SMT study 1,
    the other AEC study 0.5). Empty when the question names no document. A word of a longer name that also holds
    a `foreign` word (one that names something else) designates nothing: "l'Institut Curie" is not the
    publisher "Institut Montaigne"."""
    taken = {word for run in name_runs(question.text) if foreign and any(map(foreign, run)) for word in run}
    sets = {names[fold(name)] for name in question.entities if fold(name) in names and fold(name) not in taken}
    votes = Counter(doc for docs in sets for doc in docs)
    top = max(votes.values(), default=0)
    return {doc: n / top for doc, n in votes.items()}


def name_documents(
    question: Question,
    names: dict[str, frozenset[str]],
    ordinary: frozenset[str] | None = None,
    known: Callable[[str], bool] | None = None,
) -> Question:
    """`question` with the documents it names (`Question.documents`; `names`: `designations`) and, given `ordinary`
    (`ordinary_words`) and `known` (whether the corpus writes a word), its distinctive names
    (`Question.distinctive`). Its parts are left as they are: the retriever reads each on its own (a part that
    names nothing has the names of the part before, `docqa.question.carried_over`, and the documents they name;
    inheriting the whole question's documents was measured: no gain)."""
    # (English questions capitalise the nouns after a name, "the Institut Montaigne Report": French ones do not)
    checked = ordinary is not None and known is not None and question.language == "fr"
    foreign = (lambda word: word not in ordinary and known(word)) if checked else None
    distinctive = distinctive_names(question, ordinary, known) if ordinary is not None and known else ()
    return replace(question, documents=named_documents(question, names, foreign), distinctive=distinctive)
