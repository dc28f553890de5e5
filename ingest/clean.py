"""Text cleaning: Unicode normalisation and reflow of hard-wrapped lines, page by page."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from docqa.settings import Settings

_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f\u2009\u200a]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\ufeff\u00ad]")
_TERMINAL = tuple(".!?…")  # ends a sentence
_PAUSE = tuple(";:»)")  # may end a sentence, or be followed by its lowercase continuation
# A line ending with one of these words is cut inside a sentence, whatever the next line starts with.
_GLUE_WORDS = frozenset(
    "à au aux de des du d’ d' en et ou le la les l’ l' un une par pour sur sous dans avec sans entre chez "
    "que qu’ qu' qui dont où ce cette ces son sa ses leur leurs notre nos votre vos selon comme of the "
    "and to in for with by".split()
)
_CUT_WORD = re.compile(r"[^\W\d_]-$")
_LIST_NUMBER = re.compile(r"^(\d{1,2}|[a-z])[.)]$")
_BULLET = re.compile(r"^([•▪◦●○■□➢✓\-–*]|\d{1,2}[.)])(\s|$)")


def clean_text(text: str, full_width: float | None = None) -> str:
    """Normalise a page's text and join the lines that a layout wrapped inside a sentence.

    A line is joined to the next non-blank one when it does not end a sentence and either the next starts in
    lowercase, with a digit, or (after a line of six words or more) with an opening quote or bracket, or the
    line ends with a comma, a word cut at its hyphen, or a word that cannot end a sentence ("de", "la"): PDF and
    slide extraction cut sentences at every line, often with blank lines between. In prose wrapped at a fixed
    width (`full_width`: see `full_line_width`), a line that fills it and ends with a word goes on too (a name
    cut after its first name). Bullets and headings keep their own line.

    >>> clean_text("près de \\n\\n100 startups et 18\\nmultinationales.\\n• Agenda")
    'près de 100 startups et 18 multinationales.\\n• Agenda'
    """
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    full = False  # whether the last line read fills the width of wrapped prose
    for line in lines:
        if not line:
            continue
        if out and (_continues(out[-1], line) or (full and _fills_on(out[-1], line))):
            sep = "" if out[-1].endswith("-") else " "
            out[-1] = out[-1] + sep + line
        else:
            out.append(line)
        full = full_width is not None and len(line) >= full_width
    return "\n".join(out)


def full_line_width(texts: Iterable[str], settings: Settings) -> float | None:
    """The length from which a line of a document fills its width, when the document is prose wrapped at a
    fixed width: its median line is at least `reflow_regularity` times its long lines (90th percentile); then
    `reflow_full_line` times those. None for slides and tables, whose lines have no common width."""
    lengths = sorted(len(line.strip()) for text in texts for line in text.split("\n") if line.strip())
    if len(lengths) < 20:
        return None
    median, long = lengths[len(lengths) // 2], lengths[int(len(lengths) * 0.9)]
    return settings.reflow_full_line * long if median >= settings.reflow_regularity * long else None


def _fills_on(previous: str, line: str) -> bool:
    """After a line that fills the width: the sentence goes on unless the line ends with a mark or a number."""
    return (previous[-1].isalpha() or previous.endswith(",")) and not _BULLET.match(line)


def _continues(previous: str, line: str) -> bool:
    if _LIST_NUMBER.match(previous):  # "1." alone on its line: the item's text is on the next one
        return True
    if previous.count("«") > previous.count("»") or previous.count("(") > previous.count(")"):
        return not _BULLET.match(line)  # a quote or a bracket left open goes on on the next line
    if previous.endswith(_TERMINAL) or _BULLET.match(line):
        return False
    if _CUT_WORD.search(previous):  # "le Centre Georges-\nFrançois Leclerc": a compound cut at its hyphen
        return True
    first = line[0]
    if previous.endswith(_PAUSE):
        return first.islower()
    last_word = previous.rsplit(" ", 1)[-1]
    if first in '«“"(' and len(previous.split()) >= 6:  # "... répond simplement\n« On a bien reçu »"
        return True
    return first.islower() or first.isdigit() or previous.endswith(",") or last_word in _GLUE_WORDS
