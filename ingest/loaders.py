"""One loader per format, each turning a file into `Page`s; a file that cannot be read raises `LoaderError`
naming the file and the reason."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from docqa.errors import LoaderError
from docqa.schema import Page

MAX_PDF_PAGES = 5000  # guard against PDF bombs
logging.getLogger("pypdf").setLevel(logging.ERROR)
logging.getLogger("trafilatura").setLevel(logging.ERROR)


def load(path: Path, doc_id: str | None = None) -> list[Page]:
    """The pages of `path` (PDF, HTML, TXT or Markdown), for document `doc_id` (default: the file stem)."""
    path = Path(path)
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        supported = ", ".join(sorted(_LOADERS))
        raise LoaderError(path, f"unsupported file type '{path.suffix or '(none)'}' (supported: {supported})")
    if not path.is_file():
        raise LoaderError(path, "file not found")
    if path.stat().st_size == 0:
        raise LoaderError(path, "empty file")
    return loader(path, doc_id or path.stem)


def load_pdf(path: Path, doc_id: str) -> list[Page]:
    """One Page per PDF page that has text, numbered from 1 as in the PDF."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoaderError(path, "encrypted PDF: a password is required")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise LoaderError(path, f"too many pages ({count} > {MAX_PDF_PAGES})")
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").replace("\r\n", "\n")
            if text.strip():
                pages.append(Page(doc_id=doc_id, page=number, text=text))
    except LoaderError:
        raise
    except FileNotDecryptedError:
        raise LoaderError(path, "encrypted PDF: a password is required") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise LoaderError(path, f"corrupt PDF: {_short(exc)}") from None
    except Exception as exc:  # pypdf raises many internal types on damaged files; none may escape
        raise LoaderError(path, f"corrupt PDF: {_short(exc)}") from None
    if not pages:
        raise LoaderError(path, "no text layer (scanned PDF?); OCR is not supported")
    return pages


def load_html(path: Path, doc_id: str) -> list[Page]:
    """The main text of a web page (trafilatura: no navigation, banners or footer), as one page."""
    import trafilatura

    html = _read_utf8(path)
    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_precision=True, deduplicate=False
    )
    if not text or not text.strip():
        raise LoaderError(path, "no main text found in the HTML page")
    metadata = trafilatura.extract_metadata(html)
    date = getattr(metadata, "date", None) if metadata else None
    if date and date[:4] not in text:  # keep the page's update date, which trafilatura moves to metadata
        year, month, day = date[:10].split("-")
        text += f"\nMis à jour le {day}/{month}/{year}"
    return [Page(doc_id=doc_id, page=None, text=text)]


def load_text(path: Path, doc_id: str) -> list[Page]:
    """Plain text or Markdown; a form feed separates pages (numbered from 1), otherwise one unnumbered page."""
    text = _read_utf8(path).replace("\r\n", "\n")
    if "\f" not in text:
        return [Page(doc_id=doc_id, page=None, text=text)] if text.strip() else _empty(path)
    pages = [Page(doc_id=doc_id, page=n, text=t) for n, t in enumerate(text.split("\f"), start=1) if t.strip()]
    return pages or _empty(path)


def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = data[exc.start]
        raise LoaderError(path, f"not UTF-8 text (byte 0x{byte:02x} at offset {exc.start})") from None


def _empty(path: Path) -> list[Page]:
    raise LoaderError(path, "empty file (no text)")


def _short(exc: Exception) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return message[:160]


_LOADERS: dict[str, Callable[[Path, str], list[Page]]] = {
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
}
SUPPORTED_SUFFIXES = frozenset(_LOADERS)
