"""One loader per format, each turning a file into `Page`s and what the file says of itself (`LoadedFile`).

A file that cannot be read raises `LoaderError` naming the file and the reason in plain words: no parser exception
escapes as a traceback. Text is returned as the format gives it, with `\\r\\n` made `\\n`; cleaning and reflow are
`ingest.clean`'s job; a PDF is read by a bounded worker process (`ingest.pdf`). Headings of Word and PowerPoint
files are written as "# heading" lines, and every table as one line per row, "column: value; column: value." (its
header's names on each row).

>>> [(p.page, p.text[:12]) for p in load(Path("corpus/aec-ia-industries-sante.txt"))][:2]
[(1, 'Cette étude '), (2, '… et a quatr')]
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from docqa.errors import LoaderError, UnsupportedFileError
from docqa.schema import Page
from docqa.settings import Settings, get_settings
from docqa.text import headings, one_line
from ingest.ocr import OcrUnavailable, ocr_pages
from ingest.pdf import PdfLimits, PdfRefused, read_pdf
from ingest.tables import table_rows

NO_TEXT_LAYER = "no text layer (scanned PDF?)"
UPDATED = "Mis à jour le"  # how a page's own date is written in its text when the main text leaves it out
LANGUAGE_SAMPLE = 20_000  # characters a file's language is detected on
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted .docx/.pptx is an OLE compound file, as are .doc and .ppt
FILE_SUFFIX = re.compile(r"\.(docx?|pptx?|pdf|odt|txt|html?)$", re.IGNORECASE)  # "Microsoft Word - x.docx"

for _noisy in ("trafilatura", "htmldate"):  # warnings about damaged files: we report our own
    logging.getLogger(_noisy).setLevel(logging.ERROR)
log = logging.getLogger(__name__)


class LoadedFile(BaseModel):
    """A file's pages, and its title, author, year and language where the file says them ("" / None if not)."""

    pages: list[Page]
    title: str = ""
    author: str = ""
    year: int | None = None
    language: str = ""


@dataclass(frozen=True)
class Source:
    """What a loader reads: the file's bytes, the document id its pages get, and the settings of its limits."""

    path: Path
    data: bytes
    doc_id: str
    settings: Settings
    language: str = ""  # the manifest's, for OCR
    progress: Callable[[int, int], None] | None = None  # (pages done, pages) of OCR


def load(path: Path, doc_id: str | None = None, settings: Settings | None = None) -> list[Page]:
    """The pages of a supported file (see `read`)."""
    return read(path, doc_id, settings).pages


def read(
    path: Path,
    doc_id: str | None = None,
    settings: Settings | None = None,
    language: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> LoadedFile:
    """The pages of a PDF, Word, PowerPoint, HTML, text or Markdown file, for document `doc_id` (default: the
    file's stem), with its metadata: the title is the file's own, else its first heading; the language is detected.

    `language` (ISO 639-1, from the manifest) is the language scanned pages are read in. PDFs are read within the
    limits of `settings` (default: the process's settings). Raises `LoaderError` when the file is missing, empty,
    of an unsupported type (`UnsupportedFileError`) or unreadable.
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
    settings = settings or get_settings()
    loaded = loader(Source(path, data, doc_id or path.stem, settings, language, progress))
    chars = sum(len(page.text) for page in loaded.pages)
    if chars > settings.max_text_chars:
        raise _too_much_text(path, settings)
    if not loaded.title or FILE_SUFFIX.search(loaded.title):
        loaded.title = next((title for _, title in headings(loaded.pages[0].text)), "")
    text = "\n".join(page.text for page in loaded.pages)[:LANGUAGE_SAMPLE]
    loaded.language = _identifier(settings.detect_languages).classify(text)[0]
    return loaded


def check_type(path: Path) -> None:
    """Raises `UnsupportedFileError` when no loader reads files of `path`'s type."""
    if path.suffix.lower() not in _LOADERS:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise UnsupportedFileError(path, f"unsupported file type '{path.suffix or '(none)'}' (supported: {supported})")


def _load_pdf(src: Source) -> LoadedFile:
    """One Page per PDF page with text, numbered from 1 as in the PDF (pages without text are skipped), read by a
    bounded worker process (`ingest.pdf`), a page with ruled tables by pdfplumber there. A page without a text
    layer that draws an image is then read by OCR."""
    path, data = src.path, src.data
    if b"%PDF-" not in data[:1024]:
        raise LoaderError(path, "corrupt PDF: not a PDF file (no %PDF- header)")
    try:
        pdf = read_pdf(data, PdfLimits.of(src.settings))
    except PdfRefused as exc:
        raise LoaderError(path, exc.reason) from None
    if pdf.warning:
        log.warning("%s: %s", path.name, pdf.warning)
    texts, scanned = pdf.pages, pdf.scanned
    if sum(map(len, texts)) > src.settings.max_text_chars:  # refused before any OCR
        raise _too_much_text(path, src.settings)
    ocred = _ocr(src, scanned, everything=not any(text.strip() for text in texts))
    pages = [
        Page(doc_id=src.doc_id, page=number, text=ocred.get(number, text).replace("\r\n", "\n"), ocr=number in ocred)
        for number, text in enumerate(texts, start=1)
    ]
    pages = [page for page in pages if page.text.strip()]
    if not pages:
        raise LoaderError(path, f"{NO_TEXT_LAYER}; no text found by OCR either" if ocred else NO_TEXT_LAYER)
    return LoadedFile(pages=pages, title=pdf.title, author=pdf.author, year=pdf.year)


def _ocr(src: Source, numbers: list[int], everything: bool) -> dict[int, str]:
    """The text of the pages `numbers` read by OCR. When OCR is off or missing, a PDF with no other text is
    refused with how to turn OCR on; otherwise its scanned pages are skipped with a warning."""
    import pytesseract

    if not numbers:
        return {}
    try:
        return ocr_pages(src.data, numbers, src.settings, src.language, src.progress)
    except OcrUnavailable as exc:
        if everything:
            raise LoaderError(src.path, f"{NO_TEXT_LAYER}; {exc}") from None
        log.warning("%s: %d page(s) without text layer skipped: %s", src.path.name, len(numbers), exc)
        return {}
    except ValueError as exc:
        raise LoaderError(src.path, str(exc)) from None
    except RuntimeError:  # pytesseract's timeout
        limit = src.settings.ocr_page_timeout
        raise LoaderError(src.path, f"OCR of a page took more than {limit:g} s (DOCQA_OCR_PAGE_TIMEOUT)") from None
    except pytesseract.TesseractError as exc:
        raise LoaderError(src.path, f"OCR failed: {_first_line(exc)}") from None


def _load_docx(src: Source) -> LoadedFile:
    """A Word file as one unnumbered Page: paragraphs in order, headings (Heading/Title styles) as "# heading"
    lines, tables as rows."""
    import docx
    from docx.table import Table

    def extract(document: Any) -> list[Page]:
        # a paragraph's style name by its id, read once (`Paragraph.style` looks it up each time: 0.5 ms)
        styles = {style.style_id: (style.name or "").lower() for style in document.styles}
        lines, chars = [], 0
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.append(table_rows([cell.text for cell in row.cells] for row in block.rows))
            else:
                heading = styles.get(block._p.style, "").startswith(("heading", "title", "titre"))
                lines.append(f"# {block.text.strip()}" if heading and block.text.strip() else block.text)
            chars += len(lines[-1])
            if chars > src.settings.max_text_chars:  # stop reading as soon as the file is refused
                raise _too_much_text(src.path, src.settings)
        text = "\n".join(line for line in lines if line.strip())
        return [Page(doc_id=src.doc_id, page=None, text=text)] if text else []

    return _office(src, "Word file", docx.Document, extract)


def _load_pptx(src: Source) -> LoadedFile:
    """One Page per slide with text, numbered from 1: the slide title as a "# title" line, then the text of its
    shapes (groups included) in order, its tables as rows, and its speaker notes."""
    from pptx import Presentation

    def extract(presentation: Any) -> list[Page]:
        pages = []
        for number, slide in enumerate(presentation.slides, start=1):
            title = slide.shapes.title
            lines = [f"# {one_line(title.text_frame.text)}"] if title is not None and title.text_frame.text else []
            for shape in _shapes(slide.shapes):
                if title is not None and shape.shape_id == title.shape_id:
                    continue
                if shape.has_text_frame:
                    lines += [one_line(paragraph.text) for paragraph in shape.text_frame.paragraphs]
                elif getattr(shape, "has_table", False):
                    lines.append(table_rows([cell.text for cell in row.cells] for row in shape.table.rows))
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                lines.append(slide.notes_slide.notes_text_frame.text)
            text = "\n".join(line for line in lines if line.strip())
            if text:
                pages.append(Page(doc_id=src.doc_id, page=number, text=text))
        return pages

    return _office(src, "PowerPoint file", Presentation, extract)


def _shapes(shapes: Any) -> Iterator[Any]:
    """The shapes of a slide in order, the shapes of a group in its place."""
    for shape in shapes:
        if hasattr(shape, "shapes"):  # a group
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _too_much_text(path: Path, settings: Settings) -> LoaderError:
    limit = settings.max_text_chars
    return LoaderError(path, f"over {limit:,} characters of text (DOCQA_MAX_TEXT_CHARS): split the file")


def _office(
    src: Source, kind: str, open_: Callable[[io.BytesIO], Any], extract: Callable[[Any], list[Page]]
) -> LoadedFile:
    """Open a Word or PowerPoint file (a zip package) and extract its pages, with the loaders' errors: encrypted,
    corrupt, a zip bomb, no text."""
    path, data = src.path, src.data
    if data.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise LoaderError(path, f"encrypted {kind}: a password is required")
        raise LoaderError(path, f"not a {kind} but an older Office format (.doc, .ppt): save it as {path.suffix}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            inflated_mb = sum(info.file_size for info in package.infolist()) / 2**20
    except zipfile.BadZipFile:
        raise LoaderError(path, f"corrupt {kind}: not a zip package") from None
    if inflated_mb > src.settings.max_inflated_mb:
        limit = src.settings.max_inflated_mb
        raise LoaderError(path, f"inflates to {inflated_mb:.0f} MB > {limit:g} MB (DOCQA_MAX_INFLATED_MB): a zip bomb?")
    try:
        document = open_(io.BytesIO(data))
        pages = extract(document)
        core = document.core_properties
        title, author, date = core.title, core.author, core.created or core.modified
    except LoaderError:
        raise
    except Exception as exc:  # python-docx and python-pptx raise many exception types on damaged files
        raise LoaderError(path, f"corrupt {kind}: {_first_line(exc)}") from None
    if not pages:
        raise LoaderError(path, f"no text in the {kind}")
    year = date.year if isinstance(date, datetime) else None
    return LoadedFile(pages=pages, title=(title or "").strip(), author=(author or "").strip(), year=year)


def _load_html(src: Source) -> LoadedFile:
    """The main text of a web page (trafilatura drops menus, banners and footers), as one unnumbered Page.

    Headings and list items keep a line each. The page's date (of its last update, read from its metadata and
    markup by trafilatura's date search) ends the text when the main text does not give it; a year the text
    mentions is no date of the page (trafilatura's extensive search would take "En 2016, ..." for one).
    """
    import trafilatura

    path = src.path
    markup = _decode(path, src.data)
    text = trafilatura.extract(markup, favor_precision=True, include_tables=True, deduplicate=False)
    if not text or not text.strip():
        raise LoaderError(path, "no main text found in the HTML page")
    metadata = trafilatura.extract_metadata(markup, extensive=False)
    date = _day_month_year(metadata.date) if metadata is not None and metadata.date else ""
    if date and date not in text:  # trafilatura drops <time> elements, leaving the label alone or nothing
        text = text.rstrip()
        text = f"{text} {date}" if text.endswith(UPDATED) else f"{text}\n{UPDATED} {date}"
    page = Page(doc_id=src.doc_id, page=None, text=text.replace("\r\n", "\n"))
    if metadata is None:
        return LoadedFile(pages=[page])
    year = int(metadata.date[:4]) if metadata.date and metadata.date[:4].isdigit() else None
    return LoadedFile(pages=[page], title=metadata.title or "", author=metadata.author or "", year=year)


def _load_text(src: Source) -> LoadedFile:
    """Plain text or Markdown. With form feeds, one Page per form-feed page, numbered from 1 (blank pages are
    skipped, numbering kept); without, one unnumbered Page."""
    path, doc_id = src.path, src.doc_id
    text = _decode(path, src.data).replace("\r\n", "\n")
    if "\f" in text:
        pages = [Page(doc_id=doc_id, page=n, text=t) for n, t in enumerate(text.split("\f"), start=1) if t.strip()]
    else:
        pages = [Page(doc_id=doc_id, page=None, text=text)] if text.strip() else []
    if not pages:
        raise LoaderError(path, "empty file (only whitespace)")
    return LoadedFile(pages=pages)


def _day_month_year(iso: str) -> str:
    """ "2023-03-01" -> "01/03/2023" (as French pages write dates); "" when it is not an ISO date."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{match.group(3)}/{match.group(2)}/{match.group(1)}" if match else ""


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoaderError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _first_line(exc: Exception) -> str:
    message = str(exc).strip()
    return message.splitlines()[0][:160] if message else type(exc).__name__


@lru_cache(maxsize=4)
def _identifier(languages: str) -> Any:
    """py3langid's identifier (its model ships in the package) choosing among `languages` ("fr,en")."""
    from py3langid import langid

    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE)
    identifier.set_languages([code.strip() for code in languages.split(",")])
    return identifier


_LOADERS: dict[str, Callable[[Source], LoadedFile]] = {
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".pptx": _load_pptx,
    ".html": _load_html,
    ".htm": _load_html,
    ".txt": _load_text,
    ".md": _load_text,
    ".markdown": _load_text,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_LOADERS)
