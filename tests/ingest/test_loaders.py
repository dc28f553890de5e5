"""Loaders on real files made by the tests (PDFs with fpdf2), and on the real corpus."""

import html
import json
import random
import re
import time
from pathlib import Path

import pytest

from docqa.errors import LoaderError
from docqa.settings import Settings
from ingest import loaders
from ingest.loaders import load, read
from ingest.pdf import ENCRYPTED
from tests.office import encrypt, make_docx, make_pptx
from tests.pdfs import make_decompression_bomb, make_operator_bomb, make_pdf, make_scanned_pdf, make_table_pdf

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FRENCH = [
    "Première page : l’étude « IA en santé » recense 97 startups à Paris, Lyon et Nîmes.",
    "Deuxième page : le cœur du réseau, ça avance ; près de 5 000 emplois d’ici 2025.",
    "Troisième page : la région Provence-Alpes-Côte d’Azur, où l’on mène l’œuvre.",
]
PARAGRAPH = "L’intelligence artificielle est appelée à jouer un rôle central dans la révolution médicale en cours."
WEB_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>IA et santé</title>
<script>var tracker = "collecte des visites";</script><style>.menu { color: red }</style></head><body>
<div id="cookie-banner"><p>Nous utilisons des cookies pour mesurer l'audience.</p><button>Tout accepter</button></div>
<header><nav><ul><li><a href="/">Accueil</a></li><li><a href="/secteurs">Secteurs d'activité</a>
<ul><li><button>Fermer le menu</button></li></ul></li></ul></nav></header>
<nav aria-label="breadcrumb"><ol><li><a href="/">Accueil</a></li><li>Santé</li></ol></nav>
<main><article><h1>L’IA au service de la santé</h1>
<p>PARAGRAPH</p>
<h2>Actions clés</h2>
<ul><li>Création du Health Data Hub pour un accès unifié, transparent et sécurisé aux données de santé.</li>
<li>PariSanté Campus, lancé le 4 décembre 2020, associe acteurs publics et privés pour la médecine du futur.</li></ul>
<p class="date">Mis à jour le <time datetime="2024-05-02">02/05/2024</time></p>
</article></main>
<footer><div class="share">Partager sur Facebook</div><p>Mentions légales</p><p>Plan du site</p></footer>
</body></html>""".replace("PARAGRAPH", PARAGRAPH)


def reason(path: Path) -> str:
    """The reason `load(path)` gives for failing; its message must name the file."""
    with pytest.raises(LoaderError) as caught:
        load(path)
    assert path.name in str(caught.value)
    return caught.value.reason


def test_pdf_pages_keep_their_numbers_and_accents(tmp_path):
    pages = load(make_pdf(tmp_path / "rapport.pdf", FRENCH))
    assert [(p.doc_id, p.page) for p in pages] == [("rapport", 1), ("rapport", 2), ("rapport", 3)]
    assert "l’étude « IA en santé » recense 97 startups" in pages[0].text and "Nîmes" in pages[0].text
    assert "cœur du réseau, ça avance" in pages[1].text and "5 000" in pages[1].text
    assert "Côte d’Azur, où l’on mène l’œuvre" in pages[2].text
    assert load(tmp_path / "rapport.pdf", doc_id="etude")[0].doc_id == "etude"


def test_pdf_page_without_text_is_skipped_but_numbering_kept(tmp_path):
    assert [p.page for p in load(make_pdf(tmp_path / "trou.pdf", ["Page un.", "", "Page trois."]))] == [1, 3]


def test_encrypted_pdf_needs_a_password(tmp_path):
    assert reason(make_pdf(tmp_path / "secret.pdf", FRENCH, password="s3cret")) == ENCRYPTED


def test_pdf_encrypted_with_an_empty_user_password_loads(tmp_path):
    assert [p.page for p in load(make_pdf(tmp_path / "ouvert.pdf", FRENCH, password=""))] == [1, 2, 3]


def test_truncated_pdf_is_corrupt(tmp_path):
    good = make_pdf(tmp_path / "bon.pdf", FRENCH).read_bytes()
    truncated = tmp_path / "tronque.pdf"
    truncated.write_bytes(good[: len(good) // 2])
    assert reason(truncated).startswith("corrupt PDF: ")


def test_random_bytes_named_pdf_are_not_a_pdf(tmp_path):
    fake = tmp_path / "faux.pdf"
    fake.write_bytes(random.Random(0).randbytes(4096))
    assert reason(fake) == "corrupt PDF: not a PDF file (no %PDF- header)"


def test_scanned_pdf_without_text_is_refused_saying_how_to_turn_ocr_on(tmp_path):
    blank = make_scanned_pdf(tmp_path / "scan.pdf")  # a white image: OCR finds nothing either
    assert reason(blank) == f"{loaders.NO_TEXT_LAYER}; no text found by OCR either"
    with pytest.raises(LoaderError) as caught:
        load(blank, settings=Settings(ocr=False))
    assert caught.value.reason == f"{loaders.NO_TEXT_LAYER}; OCR is off (set DOCQA_OCR=true)"


def test_too_many_pages(tmp_path):
    with pytest.raises(LoaderError, match=r"too many pages \(3 > 2\)"):
        load(make_pdf(tmp_path / "long.pdf", FRENCH), settings=Settings(pdf_max_pages=2))


def test_cpu_bomb_is_refused_in_seconds(tmp_path):
    """600 000 text operators on one page (a ~6 KB file) used to be parsed for minutes and indexed as garbage."""
    bomb = make_operator_bomb(tmp_path / "cpu.pdf", 600_000)
    assert bomb.stat().st_size < 10_000
    started = time.monotonic()
    with pytest.raises(LoaderError, match="page 1 has 600000 text operators .more than 20000.: a PDF bomb"):
        load(bomb)
    assert time.monotonic() - started < 10  # minutes before, on a loaded machine


def test_pdf_bounds_per_file_per_page_and_in_seconds(tmp_path):
    spread = make_operator_bomb(tmp_path / "spread.pdf", 900, pages=5)
    with pytest.raises(LoaderError, match="more than 4000 text operators in the file"):
        load(spread, settings=Settings(pdf_file_operators=4000))
    long_text = make_operator_bomb(tmp_path / "long.pdf", 10, text=b"a" * 2000)
    with pytest.raises(LoaderError, match="page 1 yields 20000 characters .more than 5000."):
        load(long_text, settings=Settings(pdf_page_chars=5000))
    slow = make_operator_bomb(tmp_path / "slow.pdf", 19_000, pages=40)  # within the operator bounds, but slow
    started = time.monotonic()
    with pytest.raises(LoaderError, match=r"slow.pdf: reading it took more than 1 s \(DOCQA_PDF_SECONDS\)"):
        load(slow, settings=Settings(pdf_seconds=1))
    assert time.monotonic() - started < 10


def test_decompression_bombs_are_refused(tmp_path):
    for name, expanded_mb in (("bomb.pdf", 1000), ("inflated.pdf", 20)):
        with pytest.raises(LoaderError, match="a stream inflates beyond 16 MB: a PDF bomb"):
            load(make_decompression_bomb(tmp_path / name, expanded_mb=expanded_mb))


@pytest.mark.parametrize("name", ["vide.pdf", "vide.html", "vide.txt", "vide.md", "vide.docx", "vide.pptx"])
def test_zero_byte_file(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    assert reason(tmp_path / name) == "empty file"


def test_html_keeps_the_main_text_only(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(WEB_PAGE, encoding="utf-8")
    [page] = load(path)
    assert (page.doc_id, page.page) == ("page", None)
    assert page.text.splitlines()[:2] == ["L’IA au service de la santé", PARAGRAPH]
    assert "- Création du Health Data Hub" in page.text and "- PariSanté Campus, lancé le 4 décembre 2020" in page.text
    assert page.text.endswith("\nMis à jour le 02/05/2024")
    for boilerplate in ("cookies", "Tout accepter", "Fermer le menu", "Secteurs", "Mentions légales", "Partager"):
        assert boilerplate not in page.text
    assert "tracker" not in page.text and "color" not in page.text


def test_html_date_is_read_from_the_markup_not_from_a_year_of_the_text(tmp_path):
    path = tmp_path / "page.html"
    paragraph = "En 2016, les hôpitaux ont lancé des entrepôts de données de santé pour la recherche clinique."
    path.write_text(f"<html><body><article><h1>Données</h1><p>{paragraph}</p></article></body></html>", "utf-8")
    loaded = read(path)
    assert loaded.year is None and loaded.pages[0].text.endswith(paragraph)  # no "Mis à jour le 01/01/2016"


def test_html_errors(tmp_path):
    latin1 = tmp_path / "latin1.htm"
    latin1.write_bytes(WEB_PAGE.encode("utf-8").replace("é".encode(), b"\xe9"))
    assert re.fullmatch(r"not UTF-8 text \(byte 0xe9 at offset \d+\)", reason(latin1))
    menus_only = tmp_path / "menus.html"
    menus_only.write_text("<html><body><nav><ul><li><a href='/'>Accueil</a></li></ul></nav></body></html>")
    assert reason(menus_only) == "no main text found in the HTML page"


def test_text_form_feeds_are_pages(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("\ufeffPage un,\r\nligne deux.\fPage deux.\f \n\fPage quatre.".encode())
    assert [(p.doc_id, p.page, p.text) for p in load(path)] == [
        ("notes", 1, "Page un,\nligne deux."),
        ("notes", 2, "Page deux."),
        ("notes", 4, "Page quatre."),
    ]


def test_text_without_form_feed_is_one_unnumbered_page(tmp_path):
    path = tmp_path / "note.md"
    path.write_bytes("\ufeff# Titre\r\n\r\nTexte accentué.\r\n".encode())
    assert [(p.page, p.text) for p in load(path)] == [(None, "# Titre\n\nTexte accentué.\n")]
    blank = tmp_path / "blanc.txt"
    blank.write_text(" \n\f\n", encoding="utf-8")
    assert reason(blank) == "empty file (only whitespace)"


def test_non_utf8_text_names_the_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Données de santé".encode("latin-1"))
    assert reason(path) == "not UTF-8 text (byte 0xe9 at offset 4)"


def test_unsupported_type_and_missing_file(tmp_path):
    sheet = tmp_path / "rapport.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    supported = ".pdf, .docx, .pptx, .html, .htm, .txt, .md, .markdown"
    assert reason(sheet) == f"unsupported file type '.xlsx' (supported: {supported})"
    assert reason(tmp_path / "absent.pdf") == "file not found"


def test_real_web_page_keeps_the_article_and_drops_the_site():
    path = CORPUS / "dge-ia-service-sante.html"
    [page] = load(path)
    for boilerplate in ("Fermer le menu", "cookies", "Mentions légales", "Retour au niveau précédent", "Partager"):
        assert boilerplate not in page.text
    assert "PariSanté Campus" in page.text and page.text.endswith("Mis à jour le 01/03/2023")
    markup = path.read_text(encoding="utf-8")
    article = markup[markup.index("<article>") : markup.index("</article>")]
    blocks = [html.unescape(text) for _, text in re.findall(r"<(h1|h2|p|li)>([^<]+)</\1>", article)]
    assert len(blocks) > 30
    for block in blocks:
        assert block in page.text


def test_manifest_lists_every_corpus_file_and_its_pages():
    entries = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"]
    listed = {e["file"] for e in entries}
    assert listed == {p.name for p in CORPUS.iterdir() if p.suffix in loaders.SUPPORTED_SUFFIXES}
    assert len({e["doc_id"] for e in entries}) == len(entries)
    for entry in entries:
        assert set(entry) == {"doc_id", "file", "title", "publisher", "year", "language", "url", "pages"}
        assert entry["title"] and entry["language"] == "fr"
        pages = load(CORPUS / entry["file"], doc_id=entry["doc_id"])
        numbers = [p.page for p in pages]
        assert entry["pages"] == (None if numbers == [None] else max(numbers)), entry["doc_id"]
    pages = {e["doc_id"]: e["pages"] for e in entries}
    assert (pages["aec-ia-industries-sante"], pages["aec-smt-industries-sante"]) == (210, 132)


TABLE = [["Région", "Startups", "Emplois"], ["Bretagne", "12", "300"], ["Occitanie", "40", "1 200"]]
ROWS = ["Région: Bretagne; Startups: 12; Emplois: 300.", "Région: Occitanie; Startups: 40; Emplois: 1 200."]


def test_pdf_table_becomes_rows_tied_to_its_header_in_place(tmp_path):
    path = make_table_pdf(tmp_path / "tableau.pdf", "Le tableau suivant donne les chiffres.", TABLE, "Fin de la page.")
    [page] = load(path)
    assert page.text.splitlines() == ["Le tableau suivant donne les chiffres.", *ROWS, "Fin de la page."]


def test_docx_headings_paragraphs_tables_and_core_properties(tmp_path):
    blocks = [("h1", "Introduction"), ("p", "Le rapport recense les startups."), ("h1", "Chiffres"), ("table", TABLE)]
    path = make_docx(tmp_path / "rapport.docx", blocks, title="Rapport IA santé", author="AEC", year=2023)
    loaded = read(path)
    [page] = loaded.pages
    assert (page.doc_id, page.page) == ("rapport", None)
    assert page.text.splitlines() == ["# Introduction", "Le rapport recense les startups.", "# Chiffres", *ROWS]
    assert (loaded.title, loaded.author, loaded.year, loaded.language) == ("Rapport IA santé", "AEC", 2023, "fr")


def test_pptx_one_page_per_slide_with_title_notes_and_table(tmp_path):
    slides = [
        {"title": "Les startups", "body": ["97 startups à Paris", "Lyon suit"], "notes": "Insister sur Lyon."},
        {},  # a blank slide: skipped, numbering kept
        {"title": "Chiffres par région", "table": TABLE},
    ]
    loaded = read(make_pptx(tmp_path / "deck.pptx", slides))
    assert [(p.page, p.text.splitlines()) for p in loaded.pages] == [
        (1, ["# Les startups", "97 startups à Paris", "Lyon suit", "Insister sur Lyon."]),
        (3, ["# Chiffres par région", *ROWS]),
    ]
    assert loaded.title == "Les startups"  # no title in the file's properties: its first heading


def test_office_files_corrupt_encrypted_old_or_without_text(tmp_path):
    good = make_docx(tmp_path / "bon.docx", [("p", "Un paragraphe.")]).read_bytes()
    (tmp_path / "tronque.docx").write_bytes(good[: len(good) // 2])
    assert reason(tmp_path / "tronque.docx") == "corrupt Word file: not a zip package"
    (tmp_path / "faux.pptx").write_bytes(random.Random(0).randbytes(4096))
    assert reason(tmp_path / "faux.pptx") == "corrupt PowerPoint file: not a zip package"
    (tmp_path / "autre.docx").write_bytes(make_pptx(tmp_path / "x.pptx", [{"title": "Diapositive"}]).read_bytes())
    assert reason(tmp_path / "autre.docx").startswith("corrupt Word file: ")
    secret = encrypt(make_docx(tmp_path / "secret.docx", [("p", "Confidentiel.")]), "pw")
    assert reason(secret) == "encrypted Word file: a password is required"
    assert reason(make_docx(tmp_path / "blanc.docx", [("p", " ")])) == "no text in the Word file"
    assert reason(make_pptx(tmp_path / "blanc.pptx", [{}, {}])) == "no text in the PowerPoint file"


def test_office_zip_bomb_is_refused(tmp_path):
    path = make_docx(tmp_path / "gros.docx", [("p", "mot " * 300_000)])
    with pytest.raises(LoaderError, match=r"inflates to 2 MB > 0.5 MB \(DOCQA_MAX_INFLATED_MB\): a zip bomb"):
        load(path, settings=Settings(max_inflated_mb=0.5))


def test_a_file_over_the_text_bound_is_refused_and_a_word_file_stops_being_read_there(tmp_path):
    settings = Settings(max_text_chars=10_000)
    many = make_docx(tmp_path / "long.docx", [("p", f"Paragraphe {n}.") for n in range(20_000)])  # 270 000 chars
    started = time.monotonic()
    with pytest.raises(LoaderError, match=r"long.docx: over 10,000 characters of text \(DOCQA_MAX_TEXT_CHARS\)"):
        load(many, settings=settings)
    assert time.monotonic() - started < 5  # the whole file read: minutes for the 3.6 million paragraphs of a bomb
    text = tmp_path / "long.txt"
    text.write_text("Une phrase. " * 1000, encoding="utf-8")
    with pytest.raises(LoaderError, match="long.txt: over 10,000 characters of text"):
        load(text, settings=settings)
    assert load(text, settings=Settings(max_text_chars=20_000))
    pdf = make_pdf(tmp_path / "long.pdf", FRENCH * 6)
    with pytest.raises(LoaderError, match="long.pdf: over 1,000 characters of text"):  # its text layer: before OCR
        load(pdf, settings=Settings(max_text_chars=1000))


def test_metadata_of_text_pdf_and_html(tmp_path):
    english = tmp_path / "notes.md"
    english.write_text("# Health data in France\n\nThe report counts startups and their jobs.", encoding="utf-8")
    assert (read(english).title, read(english).language) == ("Health data in France", "en")
    pdf = read(make_pdf(tmp_path / "rapport.pdf", FRENCH))
    assert pdf.language == "fr" and pdf.year is not None and pdf.year >= 2024  # fpdf2 writes the creation date
    page = tmp_path / "page.html"
    page.write_text(WEB_PAGE, encoding="utf-8")
    assert read(page).title == "L’IA au service de la santé"  # trafilatura takes the main title
