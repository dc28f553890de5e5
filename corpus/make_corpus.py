"""Builds corpus/ from the extracted seed texts (run once; kept to show how the corpus was made).

    python corpus/make_corpus.py [SEEDS_DIR]      # default: ../shared/seeds

- aec-*.txt: a line starting with exactly one space starts a new slide; slides become form-feed pages.
- think-tank / note: no reliable page marks; copied as they are.
- dge-ia-service-sante: a text-browser dump of a web page; rebuilt as the HTML page it came from (navigation,
  breadcrumb, cookie banner and footer in their own elements, the article in <main><article>), so that the
  HTML loader, not a hand edit, is what keeps the site boilerplate out of the index.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "L'intelligence artificielle au service de la santé"


def paginate(text: str) -> str:
    """Slide marks (a line starting with exactly one space) become form feeds."""
    text = re.sub(r"(?m)^ (?=\S)", "\f", text)
    return text[1:] if text.startswith("\f") else text


def dge_html(dump: str) -> str:
    lines = dump.split("\n")
    crumbs_at = next(i for i, line in enumerate(lines) if re.match(r"^\s+1\. Accueil", line))
    title_at = next(i for i, line in enumerate(lines) if line.startswith(TITLE))
    footer_at = next(i for i, line in enumerate(lines) if line.startswith("Partager"))
    date_at = next(i for i, line in enumerate(lines) if "Mis à jour le" in line)
    nav = "\n".join(f"<li>{html.escape(line.strip())}</li>" for line in lines[:crumbs_at] if line.strip())
    crumbs = "\n".join(
        "<li>" + html.escape(line.strip().split(". ", 1)[1]) + "</li>"
        for line in lines[crumbs_at:title_at]
        if re.match(r"^\s+\d+\. ", line)
    )
    article = _blocks(lines[title_at + 1 : date_at])
    day, month, year = re.search(r"(\d\d)/(\d\d)/(\d{4})", lines[date_at]).groups()
    footer = "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in lines[footer_at:] if line.strip())
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{html.escape(TITLE)} | entreprises.gouv.fr</title>
<meta name="date" content="{year}-{month}-{day}">
</head>
<body>
<div id="cookie-banner" role="dialog"><p>Ce site utilise des cookies pour mesurer son audience. Vous pouvez
accepter ou refuser ces cookies.</p><button>Tout accepter</button><button>Tout refuser</button></div>
<header><nav aria-label="Menu principal"><ul>
{nav}
</ul></nav></header>
<nav aria-label="breadcrumb"><ol>
{crumbs}
</ol></nav>
<div class="tools"><button>A+</button><button>A-</button><button>Imprimer</button></div>
<main><article>
<h1>{html.escape(TITLE)}</h1>
{article}
<p class="date">Mis à jour le {day}/{month}/{year}</p>
</article></main>
<div class="share"><p>Partager</p></div>
<footer>
{footer}
</footer>
</body>
</html>
"""


def _blocks(lines: list[str]) -> str:
    """Article lines of the dump as HTML: unindented lines are headings, "* " items are list items,
    indented runs separated by blank lines are paragraphs."""
    out: list[str] = []
    block: list[str] = []
    kind = "p"

    def flush() -> None:
        nonlocal block
        if block:
            text = html.escape(" ".join(block))
            out.append({"h2": f"<h2>{text}</h2>", "li": f"<ul><li>{text}</li></ul>"}.get(kind, f"<p>{text}</p>"))
        block = []

    for line in lines:
        stripped = line.strip()
        if not stripped:
            flush()
            kind = "p"
            continue
        if not line.startswith(" "):
            if kind != "h2":
                flush()
            kind = "h2"
        elif stripped.startswith("* "):
            flush()
            kind, stripped = "li", stripped[2:]
        elif kind == "h2" or (kind == "li" and stripped.startswith("- ")):
            flush()
            kind = "p"
        block.append(stripped)
    flush()
    return "\n".join(out).replace("</ul>\n<ul>", "\n")


def main(seeds: Path) -> None:
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if path.stem.startswith("aec-"):
            (HERE / path.name).write_text(paginate(text), encoding="utf-8")
        elif path.stem == "dge-ia-service-sante":
            (HERE / f"{path.stem}.html").write_text(dge_html(text), encoding="utf-8")
        else:
            (HERE / path.name).write_text(text.lstrip(" "), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "seeds")
