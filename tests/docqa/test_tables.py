"""A question about one row of a table is answered by quoting that row, readable, from a Word file and a PDF
(generated tables; the real default embedder and the extractive answerer)."""

import pytest

from docqa.qa import QA
from docqa.settings import Settings
from ingest.pipeline import ingest
from tests.office import make_docx
from tests.pdfs import make_table_pdf

JOBS = [
    ["Région", "Startups", "Emplois créés"],
    ["Bretagne", "12", "300"],
    ["Occitanie", "40", "1 200"],
    ["Normandie", "7", "150"],
]
BUDGETS = [
    ["Programme", "Budget 2022", "Budget 2023"],
    ["Health Data Hub", "9,7 M€", "11 M€"],
    ["PariSanté", "5 M€", "8 M€"],
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    root = tmp_path_factory.mktemp("tables")
    corpus = root / "corpus"
    corpus.mkdir()
    intro = "Les emplois créés par les startups de la santé, par région."
    make_docx(corpus / "emplois.docx", [("h1", "Emplois par région"), ("p", intro), ("table", JOBS)])
    make_table_pdf(corpus / "budgets.pdf", "Budgets des programmes publics.", BUDGETS, "Source : ministère.")
    settings = Settings(data_dir=root / "data", chunk_size=300, chunk_overlap=50)
    engine = QA(settings)
    assert ingest([corpus], engine.index, settings).ok
    return engine


@pytest.mark.parametrize(
    ("question", "row", "doc_id", "lead"),
    [
        (
            "Combien d'emplois ont été créés en Occitanie ?",
            "Région: Occitanie; Startups: 40; Emplois créés: 1 200.",
            "emplois",
            "1 200",
        ),
        (
            "Quel était le budget 2023 de PariSanté ?",
            "Programme: PariSanté; Budget 2022: 5 M€; Budget 2023: 8 M€.",
            "budgets",
            "8 M€",
        ),
    ],
)
def test_a_question_about_one_row_is_answered_with_the_row(qa, question, row, doc_id, lead):
    answer = qa.ask(question)
    assert not answer.abstained, answer.notes
    first = answer.citations[0]
    assert first.doc_id == doc_id and row in first.quote.split(" … ")  # the row, whole, with its column names
    assert answer.answer.startswith(lead), answer.answer  # the value of the asked row, in the asked column
