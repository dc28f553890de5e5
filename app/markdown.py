"""Document text shown as Markdown, made inert: a document (an upload, a web page) is not trusted to format the
chat. Every character Markdown or Streamlit acts on is backslash-escaped, so no image loads, no link, HTML,
colour or formula is made from it, and `[clic](javascript:...)` shows as those characters. A bare http(s)
address stays what Markdown makes of it: a visible link to itself."""

import re

ACTIVE = re.compile(r"([\\`*_{}\[\]()<>!#|~$])")


def inert(text: str) -> str:
    r"""`text` as Markdown that shows exactly `text` (`"![x](u)"` -> `"\!\[x\]\(u\)"`)."""
    return ACTIVE.sub(r"\\\1", text)
