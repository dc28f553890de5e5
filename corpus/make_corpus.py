"""Builds corpus/ from the seed texts (the five reports as extracted text; file name = document id).

    python corpus/make_corpus.py [SEEDS_DIR]      # default: ../shared/seeds from the repository root

Deterministic: re-running it rewrites the same bytes.

- aec-*.txt (slide decks): a line starting with exactly one space opens a new slide; that space becomes a form feed,
  the page break the text loader reads.
- think-tank-ia-sante-2024.txt, ia-emploi-sante-note.txt: no reliable page marks; copied as they are.
- dge-ia-service-sante.txt, a text-browser (lynx) dump of a web page, is rebuilt as the HTML page it shows: menus,
  breadcrumb, tools, cookie banner and footer in their own elements, the article verbatim in <main><article>, so
  that the HTML loader, not a hand edit, keeps the site's boilerplate out of the index.

manifest.json is not generated: its titles, publishers and years were read in the documents.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGED = ("aec-ia-industries-sante", "aec-smt-industries-sante")
PLAIN = ("ia-emploi-sante-note", "think-tank-ia-sante-2024")
WEB_PAGE = "dge-ia-service-sante"
TITLE = "L'intelligence artificielle au service de la santé"
WRAP = 74  # lynx wraps lines near this column: a line too full to take the next word may continue on the next one
_ITEM = re.compile(r"^( {4,})([*+o#@-]|\d+\.)(?: (.*))?$")  # a list item (body text is indented by 3 only)
_CONTROL = re.compile(r"^\((?:BUTTON|menu)\)\s*(.*)$")
_DATE = re.compile(r"Mis à jour le (\d\d)/(\d\d)/(\d{4})")
COOKIE_BANNER = """<div id="cookie-banner" role="dialog" aria-label="Gestion des cookies">
<p>Ce site utilise des cookies pour mesurer son audience et améliorer votre navigation. Vous pouvez accepter ou
refuser ces cookies, et changer d'avis à tout moment depuis la page « Données personnelles et cookies ».</p>
<button type="button">Tout accepter</button> <button type="button">Tout refuser</button>
<button type="button">Personnaliser</button>
</div>"""


def paginate(text: str) -> str:
    """Each slide mark (a line starting with exactly one space) becomes a form feed opening a new page."""
    text = re.sub(r"(?m)^ (?=\S)", "\f", text)
    return text.removeprefix("\f")  # a mark on the first line opens page 1


def web_page(dump: str) -> str:
    """The HTML page of which `dump` is the lynx rendering."""
    lines = dump.split("\n")
    menu = _find(lines, lambda s: s == "(menu) Menu")
    crumbs = _find(lines, lambda s: s.startswith("1. "), menu)
    title = _find(lines, lambda s: s == TITLE, crumbs + 1)  # the breadcrumb's last item is the title too
    tools = _find(lines, lambda s: "(BUTTON)" in s, crumbs)
    date = _find(lines, lambda s: _DATE.fullmatch(s) is not None, title)
    footer = _find(lines, lambda s: s == "Partager", date)
    [(day, month, year)] = _DATE.findall(lines[date])
    top = [line for line in lines[:menu] if line.strip() != "#alternate"]  # lynx's view of <link rel="alternate">
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="fr">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(TITLE, quote=False)} | entreprises.gouv.fr</title>",
            "</head>",
            "<body>",
            COOKIE_BANNER,
            "<header>",
            *_blocks(top, nav=True),
            '<nav aria-label="Menu principal">',
            *_blocks(lines[menu:crumbs], nav=True),
            "</nav>",
            "</header>",
            '<nav aria-label="breadcrumb">',
            *_blocks(lines[crumbs:tools], nav=True),
            "</nav>",
            '<div class="tools" aria-label="Outils d\'accessibilité">',
            *_blocks(lines[tools:title], nav=True),
            "</div>",
            '<main id="contenu">',
            "<article>",
            f"<h1>{escape(TITLE, quote=False)}</h1>",
            *_blocks(lines[title + 1 : date], nav=False),
            f'<p class="date">Mis à jour le <time datetime="{year}-{month}-{day}">{day}/{month}/{year}</time></p>',
            "</article>",
            "</main>",
            "<footer>",
            '<div class="share" aria-label="Partager la page">',
            *_blocks(lines[footer : footer + 1], nav=True),
            "</div>",
            *_blocks(lines[footer + 1 :], nav=True),
            "</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _find(lines: list[str], test: Callable[[str], bool], start: int = 0) -> int:
    """Index of the first line from `start` whose stripped text passes `test`."""
    return next(i for i in range(start, len(lines)) if test(lines[i].strip()))


@dataclass
class _Item:
    """A list item of the dump: its lines (indentation kept) and its sub-items."""

    col: int
    ordered: bool = False
    lines: list[str] = field(default_factory=list)
    children: list[_Item] = field(default_factory=list)


def _blocks(lines: list[str], nav: bool) -> list[str]:
    """HTML for a region of the dump: lists, buttons and paragraphs; in the article (`nav` false) unindented lines
    are <h2> headings and a paragraph's lines are joined; in site navigation only lynx's wrapped lines are."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif _ITEM.match(line):
            root, i = _parse_list(lines, i)
            out.append(_list(root, nav))
        elif control := _CONTROL.match(line.strip()):
            out.append(_button(control.group(1)))
            i += 1
        else:
            j = i + 1
            while j < len(lines) and _continues_run(lines[j], heading=not line.startswith(" ")):
                j += 1
            if nav or line.startswith(" "):
                out += [_paragraph(text, nav) for text in _join(lines[i:j], reflow=not nav)]
            else:
                out.append(f"<h2>{escape(' '.join(s.strip() for s in lines[i:j]), quote=False)}</h2>")
            i = j
    return out


def _continues_run(line: str, heading: bool) -> bool:
    """Whether `line` goes on a run of heading (unindented) or paragraph lines."""
    stripped = line.strip()
    return bool(stripped) and not _ITEM.match(line) and not _CONTROL.match(stripped) and heading != line[0].isspace()


def _parse_list(lines: list[str], i: int) -> tuple[_Item, int]:
    """The (nested) list starting at line `i`, up to the next blank line or text outside the list."""
    root = _Item(col=-1)
    stack = [root]
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        if item_match := _ITEM.match(line):
            col = len(item_match.group(1))
            while stack[-1].col >= col:
                stack.pop()
            item = _Item(col=col, ordered=item_match.group(2)[0].isdigit())
            if item_match.group(3):
                item.lines.append(" " * (col + 2) + item_match.group(3))
            stack[-1].children.append(item)
            stack.append(item)
        else:
            indent = len(line) - len(line.lstrip())
            while len(stack) > 1 and stack[-1].col + 2 > indent:
                stack.pop()
            if len(stack) == 1:
                break
            stack[-1].lines.append(line)
        i += 1
    return root, i


def _list(parent: _Item, nav: bool, depth: int = 0) -> str:
    """`parent`'s items as an indented (nested) HTML list."""
    tag = "ol" if parent.children[0].ordered else "ul"
    pad = "  " * depth
    out = [f"{pad}<{tag}>"]
    for child in parent.children:
        if child.children:
            out += [f"{pad}  <li>{_item(child, nav)}", _list(child, nav, depth + 2), f"{pad}  </li>"]
        else:
            out.append(f"{pad}  <li>{_item(child, nav)}</li>")
    out.append(f"{pad}</{tag}>")
    return "\n".join(out)


def _item(item: _Item, nav: bool) -> str:
    """An item's own content: buttons and texts in their order; in menus a lone text is a link."""
    parts: list[str] = []
    texts: list[str] = []

    def flush() -> None:
        parts.extend(escape(text, quote=False) for text in _join(texts, reflow=not nav))
        texts.clear()

    for line in item.lines:
        if control := _CONTROL.match(line.strip()):
            flush()
            parts.append(_button(control.group(1)))
        else:
            texts.append(line)
    flush()
    if not nav:
        return " ".join(parts)
    if len(parts) == 1 and not parts[0].startswith("<button"):
        return f'<a href="#">{parts[0]}</a>'
    return "".join(p if p.startswith("<button") else f"<p>{p}</p>" for p in parts)


def _join(lines: list[str], reflow: bool) -> list[str]:
    """Texts of consecutive lines: all one text (`reflow`), or joined only where lynx wrapped a line."""
    texts: list[str] = []
    for previous, line in zip(["", *lines], lines, strict=False):
        word, end = line.split()[0], previous.rstrip()
        wrapped = word[0].islower() or (len(end) + 1 + len(word) > WRAP and not end.endswith((".", ":", "?", "!")))
        if texts and (reflow or wrapped):
            texts[-1] += " " + line.strip()
        else:
            texts.append(line.strip())
    return texts


def _button(label: str) -> str:
    if not label:  # an icon button
        return '<button type="button" aria-label="menu"></button>'
    return f'<button type="button">{escape(label, quote=False)}</button>'


def _paragraph(text: str, nav: bool) -> str:
    if text.startswith("©"):  # the credit of the article's picture
        caption = escape(text, quote=False)
        return f'<figure><img src="illustration.jpg" alt=""><figcaption>{caption}</figcaption></figure>'
    if nav and text.startswith("Logo "):
        return f'<img src="logo.svg" alt="{escape(text)}">'
    if nav and "___" in text:  # a text field
        label = escape(text.split("_")[0].strip(), quote=False)
        return f'<label>{label} <input type="search" name="q"></label>'
    return f"<p>{escape(text, quote=False)}</p>"


def main(seeds: Path) -> None:
    """Write the corpus files made from the seeds in `seeds`."""
    for doc_id in (*PAGED, *PLAIN, WEB_PAGE):
        text = (seeds / f"{doc_id}.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
        if doc_id in PAGED:
            out, name = paginate(text), f"{doc_id}.txt"
        elif doc_id in PLAIN:
            out, name = text.replace("\f", "\n"), f"{doc_id}.txt"
        else:
            out, name = web_page(text), f"{doc_id}.html"
        (HERE / name).write_text(out, encoding="utf-8", newline="\n")
        print(f"corpus/{name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "seeds")
