"""What a question asks, understood once at the entrance and handed down: language, expected answer type, names,
time frame, the parts of a multi-part question. Built by `profile`; never stored on a shared object."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Literal

from docqa.place_names import calendar_words
from docqa.text import QUESTION_WORDS, detect_language, fold, numbers, terms, tokenize

AnswerType = Literal["count", "amount", "percentage", "date", "duration", "name", "definition", "list", "yesno", "open"]
# The types whose answer is a value that the answer must state (and can lead with).
VALUE_TYPES = frozenset({"count", "amount", "percentage", "date", "duration"})

# Interrogative patterns of French and English, on folded text; the first that matches sets the type.
# "quelle est la part" reads as "quelle part", "what is the share" as "what share"
# (with one word between, an adverb: "quelle est aujourd'hui la part", "what is currently the share"; "what's")
_IS = r"(?:(?:est|etait|sera|a ete) (?:[\w']+ )??(?:la |le |l')?)?"
_IS_EN = r"(?:(?:is|was|are|were) (?:\w+ )??|(?<=what)'s )?(?:the )?"
# "quand" / "when" that asks, not one that starts a clause ("gagner du temps quand aucun spécialiste n'est là",
# "when start-ups apply"): at the start of the question or of a part, or (English) before its verb
_WHEN = (
    r"(?:(?:jusqu'a|a partir de|de|pour) quand|(?<![\w'])(?:(?<=^)|(?<=[:;] )|(?<=\bet ))quand"
    r"|when(?= (?:was|were|did|does|do|is|are|will|would|has|have|had|can|could|should|must|may|might|exactly|and)\b"
    r"|'s\b| ?\?|$))"
)
# nouns that ask an amount, in the singular and in the plural
_AMOUNT_NOUNS = "budget|montant|salaire|financement|investissement|levee|dotation|cost|price|revenue"
_TYPE_PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "duration",
            rf"\b(combien de temps|quelle {_IS}duree|pendant combien|en combien de (temps|mois|annees|jours)|"
            r"combien (?:de\s+|d')(mois|ans|annees|semaines|jours|heures|minutes)|"
            rf"how long|for how long|how much time|what ?{_IS_EN}duration|"
            r"how many (months|years|weeks|days|hours|minutes))\b",
        ),
        (
            "percentage",
            rf"\b(proportion|pourcentage|taux|quelle {_IS}(part|fraction)|what ?{_IS_EN}(share|fraction)|percentage|"
            r"what proportion|what rate|growth rate|percent)\b",
        ),
        (
            "amount",
            rf"\b({_AMOUNT_NOUNS}|cout\w*|combien coute|prix|quelle {_IS}somme|frais|chiffre d'affaires|fees?|"
            r"how much|funding|salary|amount of money|"
            # in the plural too, unless they are what a count counts ("combien de levées")
            rf"(?<!de )(?<!d')(?:{_AMOUNT_NOUNS})s)\b",
        ),
        ("count", rf"\b(combien|how many|nombre de|number of|quel {_IS}effectif|what ?{_IS_EN}headcount)\b"),
        (
            "date",
            rf"\b({_WHEN}|quelle {_IS}date|a quelle date|quelle annee|en quelle annee|quel mois|en quel mois|"
            rf"depuis quand|what year|which year|what ?{_IS_EN}date|which month|in what year)\b",
        ),
        (
            "definition",
            r"\b(qu'est-ce qu\w*|c'est quoi|que designe\w*|que signifie\w*|que veut dire|qu'entend\w*|"
            r"que sont (les|des)|qu'appelle-t-on|a quoi correspond\w*|que recouvre\w*|"
            r"entend-on|definition|definit|definissent|en quoi consiste\w*|what is meant|what does .* mean|define|"
            r"what (?:does|do) .* stand for|"
            r"meaning of|^what (is|are) (the |a |an )?(\S+ ){0,4}\S+ ?\?)",
        ),
        (
            "name",
            r"^(qui|who|whom)\b|\b(quel(le)?s? (est|sont) (le|la|les) nom|quel(le)? (entreprise|societe|"
            r"organisme|organisation|institution|ecole|universite|ville|pays|laboratoire|startup|start-up|programme|"
            r"plan|agence|association|acteur|industriel|groupe|projet|plateforme|outil|logiciel|systeme|personne)|"
            r"which (company|organisation|organization|institution|school|university|city|country|laboratory|"
            r"startup|start-up|programme|program|plan|agency|association|group|project|platform|tool|system)|"
            r"what is the name|name of|comment s'appell\w*|comment se nomm\w*|quel nom|what (?:is|are) .* called)\b",
        ),
        (
            "list",
            r"\b(quel(le)?s|lesquel(le)?s|citez|enumere|what are the|which are the|list|"
            r"which (two|three|four|five|six|seven|eight|nine|ten|\d{1,2}(?= )))\b",
        ),
        (
            "yesno",
            r"^(est-ce qu\w*|y a-t-il|peut-on|faut-il|is|are|does|do|did|can|could|should|will|was|were|has|have)\b",
        ),
    )
)
# an interrogative determiner with the noun it asks for ("quels partenaires", "which company"), not a verb
# ("quelle est", "what is")
_ASKED_NOUN = re.compile(
    r"\b(?:quel(?:le)?s?|which|what)\s+(?!(?:est|sont|etait|etaient|sera|seront|serait|seraient|fut|furent|a|ont|"
    r"avait|avaient|aurait|auraient|pourr\w*|peu\w*|doi\w*|devr\w*|en|y|is|are|was|were|do|does|did|has|have|had|"
    r"will|would|can|could|should|might|may|must)\b)[\w'-]+"
)
_LETTERS = re.compile(r"[^\W\d_]+")  # a word's letters
# "what are the three ..." asks for a list rather than for a definition
_ENUMERATION = re.compile(
    r"\b(les|the) (deux|trois|quatre|cinq|six|sept|huit|dix|two|three|four|five|six|seven|"
    r"eight|ten|\d+) \w+"
)
# A time frame the question sets ("en 2024", "d'ici 2030", "pour l'année 2022", "l'édition 2021"), not a year
# inside a name ("Plan IA 2021").
_FRAME_WORDS = r"en|d['’]ici|depuis|avant|apr[eè]s|d[ée]but|fin|au cours de|pour|in|by|since|before|after|until"
_TIME_FRAME = re.compile(
    rf"\b(?:(?:{_FRAME_WORDS}|from)\s+(?:(?:l['’]\s*|the\s+)?(?:ann[ée]e|an|year)\s+)?|"
    r"(?:ann[ée]e|[ée]dition|year|exercice)\s+(?:de\s+|of\s+)?)((?:19|20)\d{2})\b",
    re.IGNORECASE,
)
# the frames a direct answer can repeat after its value ("5 000 emplois d'ici 2025"): set by a preposition, not
# the start of a range ("from 2020") nor an edition ("l'édition 2021")
_VALUE_FRAME = re.compile(rf"(?:{_FRAME_WORDS})\s", re.IGNORECASE)
# Where a multi-part question starts its next part: "..., et combien ...", "... and which ...", "; ..."
_PART_BREAK = re.compile(
    r"\s*(?:[;?]\s+|,?\s+(?:et|ainsi que|and|as well as)\s+(?=(?:(?:en|dans|sur|avec|pour|par|de|à|selon|d['’]après|"
    r"lors d[eu']|à partir d[eu']|parmi|chez|depuis|jusqu['’]à|"
    r"in|on|with|for|by|from|to|according to|during|among|since|until)(?:\s+|(?<=['’])))?"
    r"(?:quel|quelle|quels|quelles|combien|qui|comment|quand|pourquoi|o[uù]|what|which|how|who|when|where|why)\b)"
    # or a yes/no question: a clause whose verb comes before its pronoun ("..., et la HAS dispose-t-elle ... ?")
    r"|,\s+(?:et|and)\s+(?=[^,;?]*\b\w+-(?:t-)?(?:il|elle|ils|elles|on)\b[^,;]*\?))",
    re.IGNORECASE,
)
_MIN_PART_TERMS = 2  # a part names at least this many informative words
_LEADING_CONJUNCTION = re.compile(r"^(?:et|and)\s+", re.IGNORECASE)
# what a question quotes: a title in guillemets or curly quotes (up to 200 characters), or in straight quotes (80:
# a stray straight quote, or an inch mark, must not swallow the rest of the question)
_QUOTED = re.compile(r"«\s*([^»]{2,200}?)\s*»|“\s*([^”]{2,200}?)\s*”|\"\s*([^\"]{2,80}?)\s*\"")
_APOSTROPHE = str.maketrans({"’": " ", "'": " "})
_ROMAN_ORDINAL = re.compile(r"[IVXLC]+(?:e|er|ère|ème|eme|th|st|nd|rd)")
_WORD = re.compile(r"[^\W\d_][\w-]*")  # a word of a name; apostrophes split words: "l'Institut" -> "l", "Institut"
# Capitalised words of questions that are not names
_NOT_NAMES = frozenset(
    "selon d'apres according quel quelle quels quelles comment combien qui que quoi what how which when where who "
    "why in on for".split()
)
# English questions name French things by their English acronyms: either form is found (and, by the names
# check, an acronym of the same letters in another order: `docqa.scoring.acronym_written`)
FRENCH_ACRONYMS = {"AI": "IA", "EU": "UE", "GDPR": "RGPD", "WHO": "OMS"}
_SUBJECT_STOP = re.compile(r"[,;:?()«»\"]")
# a French elision typed without its apostrophe: a lone "d", "l", "qu"... before a word that starts with a vowel;
# in capitals only at the question's start ("vitamine D en", "lymphocytes T interviennent" are letters), not
# before "et", "ou" ("a, b, c et d")
_ELISION = re.compile(
    r"(?<!['’])(^[CDJLMNST]|^Qu|\b[cdjlmnst]|\b(?:qu|jusqu|lorsqu|puisqu|aujourd)) (?!(?:et|ou)\b)"
    r"(?=[aeiouyhàâäéèêëîïôöûùüAEIOUYHÀÂÉÈÊÎÔÛ]\w)"
)
# a count of what a pronoun names: "combien d'entre elles", "how many of them"
_PRONOUN_SUBJECT = re.compile(r"(?:entre\s+(?:eux|elles)|of\s+them)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """A question as docqa understands it.

    >>> q = profile("Combien de startups la cartographie recense-t-elle en 2020, et quelle part en Île-de-France ?")
    >>> q.answer_type, q.time_frame, len(q.parts), q.parts[1].answer_type
    ('count', ('2020',), 2, 'percentage')
    """

    text: str
    language: str
    answer_type: AnswerType
    entities: tuple[str, ...]  # acronyms as written, other names folded
    time_frame: tuple[str, ...]  # years the question sets as its frame
    time_frame_words: tuple[str, ...]  # the frames a direct answer repeats, as it writes them ("d'ici 2025")
    numbers: frozenset[str]  # numbers it names (years included)
    quoted: tuple[str, ...]  # what it puts between quotes
    subject: str  # what a count or amount is of ("startups"), as the question words it
    parts: tuple[Question, ...] = ()  # the sub-questions of a multi-part question (empty when it has one part)
    # each informative word of the question as analysed tokens: its own, then the corpus words that translate
    # or paraphrase it (set by retrieval's query expansion; by default the question's tokens alone)
    concepts: tuple[tuple[str, ...], ...] = ()
    # the documents it names ("selon le Think Tank"), each with how strongly (set by retrieval, `docqa.naming`)
    documents: dict[str, float] = field(default_factory=dict)
    # its names that designate a particular thing, not a document nor the topic, each with the corpus words that
    # translate it (set by retrieval, `docqa.naming.distinctive_names`)
    distinctive: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # its names that no document writes, nor a corpus word that translates ("Leverkusen", "Spain"; set by
    # retrieval, `docqa.naming.unknown_names`)
    unknown: tuple[str, ...] = ()
    # what a count question counts as analysed tokens, its own and the corpus words near them ("individus" ->
    # also "personn"; set by retrieval, `docqa.retrieval.counted_forms`; empty: nothing to check)
    counted: frozenset[str] = frozenset()

    @property
    def wants_value(self) -> bool:
        return self.answer_type in VALUE_TYPES

    @property
    def terms(self) -> list[str]:
        """The question's informative analysed tokens (interrogatives left out)."""
        return content_tokens(self.text)

    @property
    def concept_tokens(self) -> tuple[tuple[str, ...], ...]:
        return self.concepts or tuple((t,) for t in self.terms)

    @property
    def subject_tokens(self) -> frozenset[str]:
        """The analysed tokens of what the question counts, with the corpus words that translate them ("students"
        -> also "etudi")."""
        return frozenset(set(tokenize(self.subject)).union(*self._subject_concepts()))

    @property
    def counted_words(self) -> frozenset[str]:
        """The analysed tokens of what a count question counts in its own words ("combien de signalements"):
        none when a pronoun or the part before says it ("combien d'entre elles", "..., et combien pour B ?")."""
        own = frozenset(tokenize(self.subject))
        if self.answer_type != "count" or _PRONOUN_SUBJECT.match(self.subject) or not own <= set(self.terms):
            return frozenset()
        return own

    @property
    def subject_translated(self) -> bool:
        """Whether the corpus has a word for something the question counts (its subject can be checked)."""
        return any(len(c) > 1 for c in self._subject_concepts())

    def _subject_concepts(self) -> list[tuple[str, ...]]:
        own = set(tokenize(self.subject))
        return [c for c in self.concept_tokens if c[0] in own]


def profile(text: str, split: bool = True) -> Question:
    """The profile of question `text` (its parts profiled too when `split`)."""
    text = " ".join(unicodedata.normalize("NFC", text).split())  # "é" as one character, as the patterns write it
    text = plain_case(text)
    if detect_language(text) == "fr":  # "combien d emplois d ici 2025" (typed in a shell's quotes)
        text = _ELISION.sub(r"\1'", text)
    folded = fold(text)
    parts = tuple(profile(p, split=False) for p in split_parts(text)) if split else ()
    parts = carried_over(parts) if len(parts) > 1 else ()
    frames = list(_TIME_FRAME.finditer(text))
    return Question(
        text=text,
        language=detect_language(text),
        answer_type=parts[0].answer_type if parts else answer_type(folded),
        entities=tuple(names(text)),
        time_frame=tuple(dict.fromkeys(m.group(1) for m in frames)),
        time_frame_words=tuple(
            dict.fromkeys(m.group()[0].lower() + m.group()[1:] for m in frames if _VALUE_FRAME.match(m.group()))
        ),
        numbers=frozenset(numbers(text)),
        quoted=tuple(q for q in (quote(m) for m in _QUOTED.finditer(text)) if tokenize(q)),
        subject=subject(text),
        parts=parts,
    )


def plain_case(text: str) -> str:
    """`text` in lower case where its case says nothing: a question in capitals, or with every word capitalised
    ("WHAT IS THE HEALTH DATA HUB?", "What Is The Hub?"), would make each word a name; in the latter, the words
    in capitals are acronyms and keep their case ("What Is The CNIL?" -> "what is the CNIL?").

    >>> plain_case("COMBIEN D'EMPLOIS D'ICI 2025 ?"), plain_case("What Is The CNIL?"), plain_case("Que fait la CNIL ?")
    ("combien d'emplois d'ici 2025 ?", 'what is the CNIL?', 'Que fait la CNIL ?')
    """
    words = _LETTERS.findall(text)
    if len(words) < 2 or not all(word[0].isupper() for word in words):
        return text
    if all(word.isupper() for word in words):
        return text.lower()
    return _LETTERS.sub(lambda m: m.group() if len(m.group()) > 1 and m.group().isupper() else m.group().lower(), text)


def quote(match: re.Match[str]) -> str:
    """What a match of `_QUOTED` quotes (whichever kind of quotation marks it has)."""
    return next(group for group in match.groups() if group is not None)


def carried_over(parts: tuple[Question, ...]) -> tuple[Question, ...]:
    """The parts with what they leave unsaid taken from the part before: what a count counts, when a count does
    not say it ("Combien d'experts pour l'étude A, et combien pour l'étude B ?": the second part counts experts
    too), and the names, when a part names nothing ("Combien de jours dure la formation X de l'école Y, et quel en
    était le prix ?": the second part asks the price of X at Y)."""
    done: list[Question] = []
    for part in parts:
        before = done[-1] if done else None
        if before and part.answer_type == "count" and not part.subject and before.answer_type == "count":
            part = replace(part, subject=before.subject)
        if before and not part.entities and before.entities:
            part = replace(part, entities=before.entities)
        done.append(part)
    return tuple(done)


def asking_tokens(question: Question) -> frozenset[str]:
    """The analysed tokens of the words that ask the question's type ("Que désigne le sigle SMT ?" -> the stem of
    "désigne", which is no word of what it asks about)."""
    pattern = dict(_TYPE_PATTERNS).get(question.answer_type)
    if pattern is None:
        return frozenset()
    return frozenset(t for m in pattern.finditer(fold(question.text)) for t in tokenize(m.group()))


def answer_type(folded: str) -> AnswerType:
    """The expected answer type of a folded question: the first interrogative pattern that matches; but a value
    word after an interrogative determiner and its noun is no value asked ("Quels partenaires ont apporté le
    financement ?", "Quelle société a racheté la startup pour 50 M€ ?"): what that noun names is (`_ASKED_NOUN`)."""
    kind, start = _first_type(folded)
    head = _ASKED_NOUN.search(folded)
    if kind in VALUE_TYPES and head is not None and head.start() <= start:
        named, _ = _first_type(head.group())
        if named in ("name", "list"):
            return named
    return kind


def _first_type(folded: str) -> tuple[AnswerType, int]:
    """The type of the first interrogative pattern that matches, and where its match starts."""
    for kind, pattern in _TYPE_PATTERNS:
        if match := pattern.search(folded):
            if kind == "definition" and _ENUMERATION.search(folded):
                return "list", match.start()
            return kind, match.start()
    return "open", len(folded)


def split_parts(text: str) -> list[str]:
    """The parts of a multi-part question ("Combien de X, et quelle part de Y ?" -> two), each as the question
    writes it; a piece with fewer than two informative words ("En quel mois") stays with its neighbour."""
    quoted = [m.span() for m in _QUOTED.finditer(text)]  # a title's "?" or "et" does not start a part
    breaks = [m for m in _PART_BREAK.finditer(text) if not any(a <= m.start() < b for a, b in quoted)]
    bounds = [0, *(x for m in breaks for x in m.span()), len(text)]  # start, end of each piece
    pieces = [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if text[a:b].strip(" ,?")]
    spans: list[tuple[int, int]] = []
    short: int | None = None  # the start of a piece without a subject of its own, which the next one takes
    for a, b in pieces:
        a = a if short is None else short
        short = a if len(content_tokens(text[a:b])) < _MIN_PART_TERMS else None
        if short is None:
            spans.append((a, b))
    if short is not None:
        spans[-1:] = [(spans[-1][0] if spans else short, len(text))]
    parts = [_LEADING_CONJUNCTION.sub("", text[a:b].strip(" ,")) for a, b in spans]
    return parts or [text]


def names(question: str) -> list[str]:
    """Names in a question: acronyms as written, and capitalised words that do not start it, folded
    ("Quel budget pour l'Agence du numérique (ANS) ?" -> ["agence", "ANS"]); not an ordinal in Roman numerals
    ("le XXe siècle"), nor an English month or day ("in April")."""
    words = _WORD.findall(question.translate(_APOSTROPHE))
    found: list[str] = []
    for i, word in enumerate(words):
        if _ROMAN_ORDINAL.fullmatch(word):
            continue
        if word.isupper() and len(word) > 1:
            found.append(word.replace("-", ""))
        elif i > 0 and word[0].isupper():
            found += [t for t in terms(word) if t not in _NOT_NAMES and len(t) > 1 and t not in calendar_words()]
    return list(dict.fromkeys(found))


def name_runs(text: str) -> list[list[str]]:
    """The names of several capitalised words in a question (after its first word), each as its folded words:
    "Que fait l'Institut Curie ?" -> [["institut", "curie"]]."""
    runs: list[list[str]] = []
    previous_end = -1
    for n, match in enumerate(_WORD.finditer(text)):
        word = match.group()
        if n == 0 or not word[0].isupper():
            previous_end = -1
            continue
        if previous_end >= 0 and not text[previous_end : match.start()].strip():
            runs[-1].append(fold(word))
        else:
            runs.append([fold(word)])
        previous_end = match.end()
    return [run for run in runs if len(run) > 1]


def subject(question: str) -> str:
    """What a "how many / how much" question counts, in its own words: "Combien de startups d'IA..." ->
    "startups"; "How many patients' records did..." -> "patients' records" ("" when there is none)."""
    match = re.search(
        r"\b(?:combien\s+(?:de\s+|d['’]\s*)|how many\s+|nombre\s+(?:de\s+|d['’]\s*)|number of\s+)(.+)",
        question,
        re.IGNORECASE,
    )
    if not match:
        return ""
    alias = re.match(r"[^()?]{0,60}?\(([A-Z][\w-]{1,12})\)", match.group(1))  # "solutions (SMT)": also "SMT"
    words: list[str] = []
    for word in _SUBJECT_STOP.split(match.group(1))[0].split():
        head = fold(word).split("'")[0]
        if words and (head in _FUNCTION_WORDS or "-" in word):
            break
        if head in _DETERMINERS and any(fold(w).split("'")[0] not in _FUNCTION_WORDS | _DETERMINERS for w in words):
            break
        words.append(word)
        if len(words) == 3:
            break
    return " ".join(words + ([alias.group(1)] if alias else []))


_FUNCTION_WORDS = frozenset(
    "d de du des la le les l en a au aux dans pour par sur que qui ont est sont ete etait etaient avait avaient sera "
    "seront did does do are is were was have has will would "
    "could can should the of in for to from by with at on".split()
)
# a determiner after what is counted starts another noun phrase: "combien de salariés compte sa filiale"
_DETERMINERS = frozenset(
    "un une ce cet cette ces sa son ses leur leurs notre nos votre vos "
    "an this these those its their his her our".split()
)


def content_tokens(text: str) -> list[str]:
    """Analysed tokens of `text` without stopwords nor interrogatives, distinct, in order."""
    return list(dict.fromkeys(tokenize(text, drop=QUESTION_WORDS)))
