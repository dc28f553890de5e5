"""OCR of PDF pages without a text layer: pypdfium2 renders a page, tesseract (Debian `tesseract-ocr`, through
pytesseract) reads it.

A page is rendered at `ocr_dpi`, scaled down when it would exceed `ocr_max_megapixels` (a huge page is not a
memory bomb). The language is the manifest's when tesseract has it, else `ocr_languages` (tesseract picks per
word among them).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache

from docqa.settings import Settings

INSTALL = "apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng"
TESSERACT_LANGUAGES = {"fr": "fra", "en": "eng", "de": "deu", "es": "spa", "it": "ita", "nl": "nld", "pt": "por"}


class OcrUnavailable(Exception):
    """OCR is off or cannot run here; the message says how to turn it on."""


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    """Tesseract's installed languages; raises `OcrUnavailable` when tesseract is not installed."""
    import pytesseract

    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError):
        raise OcrUnavailable(f"tesseract is not installed ({INSTALL})") from None


def languages(settings: Settings, language: str = "") -> str:
    """The tesseract languages for a document in `language` (ISO 639-1, "" when unknown), e.g. "fra+eng"."""
    if not settings.ocr:
        raise OcrUnavailable("OCR is off (set DOCQA_OCR=true)")
    installed = installed_languages()
    wanted = TESSERACT_LANGUAGES.get(language, "")
    if wanted in installed:
        return wanted
    missing = [code for code in settings.ocr_languages.split("+") if code not in installed]
    if missing:
        raise OcrUnavailable(f"tesseract language(s) {', '.join(missing)} not installed ({INSTALL})")
    return settings.ocr_languages


def ocr_pages(
    data: bytes,
    numbers: list[int],
    settings: Settings,
    language: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> dict[int, str]:
    """The text of the PDF pages `numbers` (from 1) of the PDF `data`, read by OCR.

    Raises `OcrUnavailable` when OCR is off or tesseract is missing, `ValueError` when there are more pages than
    `ocr_max_pages`, `RuntimeError` when a page takes longer than `ocr_page_timeout`.
    """
    import pypdfium2
    import pytesseract

    lang = languages(settings, language)
    if len(numbers) > settings.ocr_max_pages:
        raise ValueError(f"{len(numbers)} pages need OCR, more than {settings.ocr_max_pages} (DOCQA_OCR_MAX_PAGES)")
    texts: dict[int, str] = {}
    document = pypdfium2.PdfDocument(io.BytesIO(data))
    try:
        for done, number in enumerate(numbers):
            if progress:
                progress(done, len(numbers))
            page = document[number - 1]
            width, height = page.get_size()  # in points, 72 per inch
            scale = min(settings.ocr_dpi / 72, (settings.ocr_max_megapixels * 1e6 / (width * height)) ** 0.5)
            image = page.render(scale=scale, grayscale=True).to_pil()
            page.close()
            texts[number] = pytesseract.image_to_string(image, lang=lang, timeout=settings.ocr_page_timeout)
    finally:
        document.close()
    if progress:
        progress(len(numbers), len(numbers))
    return texts
