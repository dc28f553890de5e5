"""The text of a PDF's pages, read in a worker process with bounds.

A PDF is a program: a few KB of compressed text operators can keep pypdf busy for minutes. So pypdf runs in a
child process (`python -m ingest.pdf`) stopped after `pdf_seconds` of CPU (its own time, not the machine's
load; a wall-clock limit of a few times that backs it up), and before any text is extracted each page's
text-showing operators are counted (per page and per file); a page yielding more than `pdf_page_chars`
characters is refused too. The worker also says which pages without text draw an image (for OCR, done by the
calling process: tesseract has its own per-page timeout), reads the file's title, author and year, and reads
again with pdfplumber the pages that have ruled tables (their tables as rows, `ingest.tables`), within the same
bounds. The worker imports pypdf (and pdfplumber, for a file with text) only: it starts in a fraction of a second.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import re
import resource
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docqa.settings import Settings

ENCRYPTED = "encrypted PDF: a password is required"
WALL_FACTOR = 4  # the worker's wall-clock limit, in CPU limits: room for a loaded machine
TEXT_OPERATORS = re.compile(rb"T[jJ]|['\"]")  # Tj, TJ, ' and " show text (a quote inside a string counts too)


class PdfRefused(Exception):
    """The PDF cannot be read, or reading it would exceed a bound; `reason` says which in plain words."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class PdfLimits:
    pages: int
    stream_mb: int
    page_operators: int
    file_operators: int
    page_chars: int
    seconds: float

    @classmethod
    def of(cls, settings: Settings) -> PdfLimits:
        return cls(
            pages=settings.pdf_max_pages,
            stream_mb=settings.pdf_max_stream_mb,
            page_operators=settings.pdf_page_operators,
            file_operators=settings.pdf_file_operators,
            page_chars=settings.pdf_page_chars,
            seconds=settings.pdf_seconds,
        )


@dataclass
class PdfText:
    """What the worker reads of a PDF: the text of each page (in order, "" for a page without text), the pages
    without text that draw an image (numbered from 1: what OCR reads), and the file's metadata."""

    pages: list[str]
    scanned: list[int] = field(default_factory=list)
    title: str = ""
    author: str = ""
    year: int | None = None
    warning: str = ""  # why the tables were not read, when they were not ("" otherwise)


def read_pdf(data: bytes, limits: PdfLimits) -> PdfText:
    """The text of a PDF's pages, its tables as rows, parsed by a worker process killed after `limits.seconds`.
    Raises `PdfRefused`."""
    root = str(Path(__file__).resolve().parents[1])  # where `ingest` is, whatever the working directory
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "ingest.pdf", json.dumps(asdict(limits))]
    too_long = PdfRefused(f"reading it took more than {limits.seconds:g} s (DOCQA_PDF_SECONDS): a PDF bomb?")
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=WALL_FACTOR * limits.seconds, env=env)
    except subprocess.TimeoutExpired:
        raise too_long from None
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):  # its CPU limit
        raise too_long
    if done.returncode != 0:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise PdfRefused(f"the PDF reader stopped ({last[:160]})")
    result = json.loads(done.stdout)
    if "error" in result:
        raise PdfRefused(result["error"])
    return PdfText(**result)


def read_text(data: bytes, limits: PdfLimits) -> PdfText:
    """What the worker does: the text of each page within the limits, its tables as rows. Raises `PdfRefused`."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError

    try:
        # every stream (page contents, forms) may inflate to `stream_mb` at most, not pypdf's 75 MB
        with apply_configuration(zlib_maximum_output_length=limits.stream_mb * 2**20):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):  # many PDFs use an empty user password
                raise PdfRefused(ENCRYPTED)
            if len(reader.pages) > limits.pages:
                raise PdfRefused(f"too many pages ({len(reader.pages)} > {limits.pages})")
            _count_operators(reader.pages, limits)
            texts = [page.extract_text() for page in reader.pages]
            scanned = [n for n, page in enumerate(reader.pages, start=1) if not texts[n - 1].strip() and _draws(page)]
            meta = reader.metadata or {}
            title, author = str(meta.get("/Title") or "").strip(), str(meta.get("/Author") or "").strip()
            year = _year(reader.metadata)
    except PdfRefused:
        raise
    except LimitReachedError:
        raise PdfRefused(f"a stream inflates beyond {limits.stream_mb} MB: a PDF bomb?") from None
    except FileNotDecryptedError:
        raise PdfRefused(ENCRYPTED) from None
    except DependencyError as exc:  # AES encryption without the `cryptography` package
        raise PdfRefused(f"PDF needs a package that is not installed: {exc}") from None
    except Exception as exc:  # pypdf raises many exception types on damaged files
        raise PdfRefused(f"corrupt PDF: {_first_line(exc)}") from None
    for number, text in enumerate(texts, start=1):
        if len(text) > limits.page_chars:
            too_many = f"page {number} yields {len(text)} characters (more than {limits.page_chars})"
            raise PdfRefused(f"{too_many}: a PDF bomb?")
    warning = _tables(data, texts) if any(text.strip() for text in texts) else ""
    return PdfText(pages=texts, scanned=scanned, title=title, author=author, year=year, warning=warning)


def _tables(data: bytes, texts: list[str]) -> str:
    """Read again by pdfplumber each page of `texts` that has text and ruled tables (in place): the text around
    the tables, in order, and each table as rows. Returns why the tables were not read ("" when they were)."""
    import pdfplumber

    from ingest.tables import page_with_tables

    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                if texts[number - 1].strip() and (page.rects or page.lines):
                    texts[number - 1] = page_with_tables(page) or texts[number - 1]
                page.close()  # frees the page's parsed objects
    except Exception as exc:  # pypdf read the file: a table pdfminer cannot parse stays text
        return f"tables not read ({_first_line(exc)})"
    return ""


def _year(metadata: Any) -> int | None:
    """The year of a PDF's creation date (None when it has none, or a malformed one)."""
    try:
        return metadata.creation_date.year if metadata and metadata.creation_date else None
    except ValueError:
        return None


def _draws(page: Any) -> bool:
    """Whether a PDF page draws an image or a form: what a scanned page without text is."""
    resources = page.get("/Resources")
    return bool(resources and resources.get_object().get("/XObject"))


def _count_operators(pages: Any, limits: PdfLimits) -> None:
    """Decode each page's content (text extraction would skip a stream that inflates beyond the limit instead of
    reporting it) and count its text operators, refusing a page or a file with too many."""
    total = 0
    for number, page in enumerate(pages, start=1):
        contents = page.get_contents()
        count = len(TEXT_OPERATORS.findall(contents.get_data())) if contents is not None else 0
        if count > limits.page_operators:
            too_many = f"page {number} has {count} text operators (more than {limits.page_operators})"
            raise PdfRefused(f"{too_many}: a PDF bomb?")
        total += count
        if total > limits.file_operators:
            raise PdfRefused(f"more than {limits.file_operators} text operators in the file: a PDF bomb?")


def _first_line(exc: Exception) -> str:
    message = str(exc).strip()
    return message.splitlines()[0][:160] if message else type(exc).__name__


def main() -> None:
    for noisy in ("pypdf", "pdfminer"):  # warnings about damaged files: we report our own
        logging.getLogger(noisy).setLevel(logging.ERROR)
    limits = PdfLimits(**json.loads(sys.argv[1]))
    cpu = math.ceil(limits.seconds)  # SIGXCPU at the soft limit, SIGKILL one second later
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        result: dict[str, Any] = asdict(read_text(sys.stdin.buffer.read(), limits))
    except PdfRefused as exc:
        result = {"error": exc.reason}
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
