"""Text cleaning: Unicode normalisation and reflow of hard-wrapped lines, page by page."""

from __future__ import annotations

import re
import unicodedata

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
_LIST_NUMBER = re.compile(r"^(\d{1,2}|[a-z])[.)]$")
_BULLET = re.compile(r"^([•▪◦●○■□➢✓\-–*]|\d{1,2}[.)])(\s|$)")


def clean_text(text: str) -> str:
    """Normalise a page's text and join the lines that a layout wrapped inside a sentence.

    A line is joined to the next non-blank one when it does not end a sentence and either the next starts in
    lowercase, with a digit, or (after a line of six words or more) with an opening quote or bracket, or the
    line ends with a comma or a word that cannot end a sentence ("de", "la"): PDF and slide extraction cut
    sentences at every line, often with blank lines between. Bullets and headings keep their own line.

    >>> clean_text("près de \\n\\n100 startups et 18\\nmultinationales.\\n• Agenda")
    'près de 100 startups et 18 multinationales.\\n• Agenda'
    """
    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line:
            continue
        if out and _continues(out[-1], line):
            sep = "" if out[-1].endswith("-") else " "
            out[-1] = out[-1] + sep + line
        else:
            out.append(line)
    return "\n".join(out)


def _continues(previous: str, line: str) -> bool:
    if _LIST_NUMBER.match(previous):  # "1." alone on its line: the item's text is on the next one
        return True
    if previous.count("«") > previous.count("»") or previous.count("(") > previous.count(")"):
        return not _BULLET.match(line)  # a quote or a bracket left open goes on on the next line
    if previous.endswith(_TERMINAL) or _BULLET.match(line):
        return False
    first = line[0]
    if previous.endswith(_PAUSE):
        return first.islower()
    last_word = previous.rsplit(" ", 1)[-1]
    if first in '«“"(' and len(previous.split()) >= 6:  # "... répond simplement\n« On a bien reçu »"
        return True
    return first.islower() or first.isdigit() or previous.endswith(",") or last_word in _GLUE_WORDS
