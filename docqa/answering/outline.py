"""A document's numbered runs: the items numbered 1, 2, ..., n at the start of a line, such as the headings of a
report's sections ("1. GAGNER LA CONFIANCE" ... "5. DONNER DU SENS ..."), which may lie pages apart. A list
question that asks for n items ("les cinq mesures") is answered by a run of n items (`ExtractiveAnswerer`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

# a number that starts a line and a word after it: "1. GAGNER", "2) Un écosystème" (not "2024 :", not "1,5")
_NUMBERED = re.compile(r"^[ \t]*(\d{1,2})([.)])[ \t]+(?=\w)", re.MULTILINE)
_WORD = re.compile(r"\S+")


class Item(NamedTuple):
    """A numbered item: its number, where its words are (page, offsets in the page's text) and their text."""

    number: int
    page: int | None
    start: int
    end: int
    text: str


def numbered_runs(pages: Iterable[tuple[int | None, str]], max_words: int) -> list[tuple[Item, ...]]:
    """The runs of items numbered from 1 without a gap in `pages` ((page, text) pairs, in the document's order),
    each numbering style ("1." or "1)") apart: a 1 starts a new run; a number that continues none (a page number,
    an item of a list that started earlier) is skipped. Each item is at most `max_words` words (`item`)."""
    runs: list[list[Item]] = []
    current: dict[str, list[Item]] = {}
    for page, text in pages:
        for match in _NUMBERED.finditer(text):
            number, style = int(match.group(1)), match.group(2)
            run = current.get(style)
            if number == 1:
                current[style] = [item(number, page, text, match.end(), max_words)]
                runs.append(current[style])
            elif run is not None and number == len(run) + 1:
                run.append(item(number, page, text, match.end(), max_words))
    return [tuple(run) for run in runs if len(run) > 1]


def item(number: int, page: int | None, text: str, start: int, max_words: int) -> Item:
    """Item `number`, whose words start at `start` of `text`: the rest of its line, and the next line when it ends
    without punctuation and the next one goes on in capitals (a heading in capitals cut by a line break), at most
    `max_words` words."""
    end = _line_end(text, start)
    following = text[end + 1 : _line_end(text, end + 1)].split()
    cut = following and not re.search(r"[.!?;:]\s*$", text[start:end]) and not _NUMBERED.match(text, end + 1)
    if cut and len(following[0]) > 1 and following[0].isupper():
        end = _line_end(text, end + 1)
    words = list(_WORD.finditer(text, start, end))
    end = words[min(len(words), max_words) - 1].end()
    return Item(number, page, start, end, text[start:end])


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end
