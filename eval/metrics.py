"""Pure metric functions: robust text matching of facts and evidence, retrieval and answer scores."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "«": '"', "»": '"'})
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009\u200a]+")
_THOUSANDS = re.compile(r"(?<![\d,.])(\d{1,3})(?:[ .](\d{3}))+(?!\d)")


def normalize(text: str) -> str:
    """Case, accents, apostrophes, quotes, every kind of space and thousands separators made uniform.

    >>> normalize("5\u202f000 Emplois d’ici 2025") == normalize("5000 emplois d'ici  2025")
    True
    """
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _SPACES.sub(" ", text).strip()
    return _THOUSANDS.sub(lambda m: m.group().replace(" ", "").replace(".", ""), text)


def contains_fact(fact: str, text: str) -> bool:
    """Whether `text` states `fact` (one of its " | "-separated alternatives), matched as whole tokens:
    "5 000" matches "5000" but "50" does not match "500".

    >>> contains_fact("5 000", "environ 5\u202f000 emplois"), contains_fact("50", "500 startups")
    (True, False)
    """
    haystack = normalize(text)
    for alternative in fact.split(" | "):
        needle = normalize(alternative)
        if needle and re.search(rf"(?<![\w]){re.escape(needle)}(?![\w])", haystack):
            return True
    return False


def contains_all_facts(facts: Sequence[str], text: str) -> bool:
    return all(contains_fact(fact, text) for fact in facts)


def contains_evidence(evidence: str, passage: str) -> bool:
    """Whether the passage holds the evidence quote; a quote cut by a chunk boundary counts when either half
    of it is there."""
    quote, text = normalize(evidence), normalize(passage)
    if not quote:
        return False
    half = max(40, len(quote) // 2)
    return quote in text or quote[:half] in text or quote[-half:] in text


def citations_valid(answer, sources: Sequence[str]) -> bool:
    """Every citation marker of the answer has its citation, and every cited passage is quoted from it and
    comes from one of the expected documents (no citation at all is valid only for an abstention)."""
    if answer.abstained:
        return not answer.citations
    if not answer.citations:
        return False
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    numbers = {c.n for c in answer.citations}
    quoted = all(
        normalize(q) in normalize(c.passage or c.quote) for c in answer.citations for q in c.quote.split(" … ")
    )
    return markers == numbers and quoted and all(c.doc_id in sources for c in answer.citations)


def first_rank(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first true flag, None when there is none."""
    return next((i for i, flag in enumerate(flags, start=1) if flag), None)


def hit_at(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / rank


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
