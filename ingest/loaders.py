"""One loader per format, each turning a file into `Page`s.

A file that cannot be read raises `LoaderError` naming the file and the reason in plain words: no parser exception
escapes as a traceback. Text is returned as the format gives it, with `\\r\\n` made `\\n`; cleaning and reflow are
`ingest.clean`'s job.

>>> [(p.page, p.text[:12]) for p in load(Path("corpus/aec-ia-industries-sante.txt"))][:2]
[(1, 'Cette étude '), (2, '… et a quatr')]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from docqa.errors import LoaderError, UnsupportedFileError
from docqa.schema import Page
from docqa.settings import Settings, get_settings
from ingest.pdf import PdfLimits, PdfRefused, read_pdf

NO_TEXT_LAYER = "no text layer (scanned PDF?); OCR is not supported"
UPDATED = "Mis à jour le"  # how a page's own date is written in its text when the main text leaves it out

for _noisy in ("trafilatura", "htmldate"):  # warnings about damaged files or odd markup: we report our own
    logging.getLogger(_noisy).setLevel(logging.ERROR)


def load(path: Path, doc_id: str | None = None, settings: Settings | None = None) -> list[Page]:
    """The pages of a PDF, HTML, text or Markdown file, for document `doc_id` (default: the file's stem), within
    the PDF limits of `settings` (default: the process's settings).

    Raises `LoaderError` when the file is missing, empty, of an unsupported type or unreadable.
    """
    path = Path(path)
    if not path.exists():
        raise LoaderError(path, "file not found")
    check_type(path)
    loader = _LOADERS[path.suffix.lower()]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoaderError(path, f"cannot read the file ({exc.strerror or exc})") from None
    if not data:
        raise LoaderError(path, "empty file")
    return loader(path, data, doc_id or path.stem, settings or get_settings())


def check_type(path: Path) -> None:
    """Raises `UnsupportedFileError` when no loader reads files of `path`'s type."""
    if path.suffix.lower() not in _LOADERS:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise UnsupportedFileError(path, f"unsupported file type '{path.suffix or '(none)'}' (supported: {supported})")


def _load_pdf(path: Path, data: bytes, doc_id: str, settings: Settings) -> list[Page]:
    """One Page per PDF page with text, numbered from 1 as in the PDF (pages without text are skipped), read by a
    bounded worker process (`ingest.pdf`)."""
    if b"%PDF-" not in data[:1024]:
        raise LoaderError(path, "corrupt PDF: not a PDF file (no %PDF- header)")
    try:
        texts = read_pdf(data, PdfLimits.of(settings))
    except PdfRefused as exc:
        raise LoaderError(path, exc.reason) from None
    pages = [
        Page(doc_id=doc_id, page=number, text=text.replace("\r\n", "\n"))
        for number, text in enumerate(texts, start=1)
        if text.strip()
    ]
    if not pages:
        raise LoaderError(path, NO_TEXT_LAYER)
    return pages


def _load_html(path: Path, data: bytes, doc_id: str, settings: Settings) -> list[Page]:
    """The main text of a web page (trafilatura drops menus, banners and footers), as one unnumbered Page.

    Headings and list items keep a line each. The page's date (of its last update, read from its metadata and
    markup by trafilatura's date search) ends the text when the main text does not give it.
    """
    import trafilatura

    markup = _decode(path, data)
    text = trafilatura.extract(markup, favor_precision=True, include_tables=True, deduplicate=False)
    if not text or not text.strip():
        raise LoaderError(path, "no main text found in the HTML page")
    metadata = trafilatura.extract_metadata(markup)
    date = _day_month_year(metadata.date) if metadata is not None and metadata.date else ""
    if date and date not in text:  # trafilatura drops <time> elements, leaving the label alone or nothing
        text = text.rstrip()
        text = f"{text} {date}" if text.endswith(UPDATED) else f"{text}\n{UPDATED} {date}"
    return [Page(doc_id=doc_id, page=None, text=text.replace("\r\n", "\n"))]


def _load_text(path: Path, data: bytes, doc_id: str, settings: Settings) -> list[Page]:
    """Plain text or Markdown. With form feeds, one Page per form-feed page, numbered from 1 (blank pages are
    skipped, numbering kept); without, one unnumbered Page."""
    text = _decode(path, data).replace("\r\n", "\n")
    if "\f" in text:
        pages = [Page(doc_id=doc_id, page=n, text=t) for n, t in enumerate(text.split("\f"), start=1) if t.strip()]
    else:
        pages = [Page(doc_id=doc_id, page=None, text=text)] if text.strip() else []
    if not pages:
        raise LoaderError(path, "empty file (only whitespace)")
    return pages


def _day_month_year(iso: str) -> str:
    """ "2023-03-01" -> "01/03/2023" (as French pages write dates); "" when it is not an ISO date."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{match.group(3)}/{match.group(2)}/{match.group(1)}" if match else ""


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


_LOADERS: dict[str, Callable[[Path, bytes, str, Settings], list[Page]]] = {
    ".pdf": _load_pdf,
    ".html": _load_html,
    ".htm": _load_html,
    ".txt": _load_text,
    ".md": _load_text,
    ".markdown": _load_text,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_LOADERS)
