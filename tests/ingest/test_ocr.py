"""OCR with the real tesseract (Debian tesseract-ocr, -fra, -eng) on scanned pages made by the tests."""

import pytesseract
import pytest

from docqa.errors import LoaderError
from docqa.schema import Citation
from docqa.settings import Settings
from ingest import ocr
from ingest.loaders import load, read
from ingest.ocr import OcrUnavailable, languages
from ingest.pipeline import document_info, prepare
from tests.pdfs import make_scanned_text_pdf

SCANNED = ["Le rapport recense 97 startups en santé à Lyon.", "Les données de santé sont hébergées en France."]


def test_scanned_french_page_inside_a_text_pdf_is_read_by_ocr(tmp_path):
    path = make_scanned_text_pdf(tmp_path / "scan.pdf", SCANNED, text_pages=["Première page, avec son texte."])
    done = []
    loaded = read(path, language="fr", progress=lambda n, total: done.append((n, total)))
    assert [(p.page, p.ocr) for p in loaded.pages] == [(1, False), (2, True)]
    assert loaded.pages[1].text.split("\n")[:2] == SCANNED and loaded.language == "fr"
    assert done == [(0, 1), (1, 1)]  # progress per page
    # the flag reaches the chunks, and a citation of them says the text was OCRed
    chunks = prepare(path, document_info(path, {}, "v1"), Settings())
    [scanned] = [c for c in chunks if c.page == 2]
    assert scanned.ocr and not any(c.ocr for c in chunks if c.page == 1)
    cited = Citation(n=1, doc_id="scan", title="", page=2, quote="", score=1, chunk_id=scanned.id, ocr=scanned.ocr)
    assert cited.location == "p. 2 (OCR)"


def test_ocr_languages_from_the_manifest_or_the_settings():
    assert languages(Settings(), "fr") == "fra" and languages(Settings(), "en") == "eng"
    assert languages(Settings(), "") == languages(Settings(), "zz") == "fra+eng"  # tesseract picks among them
    with pytest.raises(OcrUnavailable, match=r"tesseract language\(s\) xyz not installed \(apt-get install "):
        languages(Settings(ocr_languages="fra+xyz"))


def test_without_tesseract_a_scan_is_refused_saying_what_to_install(tmp_path, monkeypatch):
    path = make_scanned_text_pdf(tmp_path / "scan.pdf", SCANNED[:1])
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-tesseract"))
    ocr.installed_languages.cache_clear()
    try:
        with pytest.raises(LoaderError) as caught:
            load(path)
    finally:
        ocr.installed_languages.cache_clear()
    assert caught.value.reason == (
        "no text layer (scanned PDF?); tesseract is not installed "
        "(apt-get install tesseract-ocr tesseract-ocr-fra tesseract-ocr-eng)"
    )


def test_ocr_page_limit(tmp_path):
    path = make_scanned_text_pdf(tmp_path / "scans.pdf", SCANNED[:1], scans=2)
    with pytest.raises(LoaderError, match=r"2 pages need OCR, more than 1 \(DOCQA_OCR_MAX_PAGES\)"):
        load(path, settings=Settings(ocr_max_pages=1))
