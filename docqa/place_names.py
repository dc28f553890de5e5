"""The French names of the countries, regions and languages an English question names, read from the Unicode
CLDR data that Babel ships ("Germany" -> "Allemagne", "South Korea" -> "Corée du Sud", "German" -> "allemand"):
the reports write them in French, and the embedding's nearest corpus words translate such names badly ("Spain"
-> "Allemagne"). And the English names of the months and days, which English capitalises but which name no
particular thing (a date is the year check's)."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale

from docqa.text import fold

_LONGEST = 4  # words of the longest name looked up ("Bosnia and Herzegovina" is 3)


@lru_cache(maxsize=1)
def _french() -> dict[str, str]:
    """Folded English name -> French name."""
    english, french = Locale("en"), Locale("fr")
    table: dict[str, str] = {}
    for kind in ("territories", "languages"):
        theirs = getattr(french, kind)
        for code, name in getattr(english, kind).items():
            if code in theirs:
                table.setdefault(fold(name), theirs[code])
    return table


@lru_cache(maxsize=1)
def calendar_words() -> frozenset[str]:
    """The English names of the months and days, folded ("april", "monday")."""
    english = Locale("en")
    return frozenset(fold(name) for kind in (english.months, english.days) for name in kind["format"]["wide"].values())


def french_names(text: str, names: set[str]) -> dict[str, str]:
    """Each of `names` (folded words of `text`) that belongs to a name CLDR knows, written in `text` (possessive
    "'s" aside), with that name in French: {"korea": "Corée du Sud"} for "South Korea's plan"."""
    words = re.findall(r"[a-z]+", re.sub(r"['’]s\b", "", fold(text)))
    table = _french()
    found: dict[str, str] = {}
    for size in range(_LONGEST, 0, -1):
        for start in range(len(words) - size + 1):
            phrase = words[start : start + size]
            french = table.get(" ".join(phrase))
            if french:
                for word in phrase:
                    if word in names:
                        found.setdefault(word, french)
    return found
