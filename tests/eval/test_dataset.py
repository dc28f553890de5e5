import json
from pathlib import Path

import pytest

from docqa.errors import DocqaError
from eval.dataset import load_dataset
from eval.metrics import contains_all_facts, contains_evidence
from ingest.clean import clean_text
from ingest.loaders import load

REPO = Path(__file__).resolve().parents[2]
DATASETS = sorted((REPO / "eval" / "data").glob("*.jsonl"))
GOOD = {
    "id": "q1",
    "question": "Combien ?",
    "reference": "97.",
    "facts": ["97"],
    "sources": ["doc"],
    "answerable": True,
    "kind": "numeric",
    "evidence": "97 startups",
}


def write(tmp_path, *rows):
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_valid_dataset_loads(tmp_path):
    assert [q.id for q in load_dataset(write(tmp_path, GOOD, {**GOOD, "id": "q2"}))] == ["q1", "q2"]


@pytest.mark.parametrize(
    "row, message",
    [
        ("{not json", ":2: not valid JSON"),
        ({**GOOD, "id": "q2", "kind": "poem"}, ":2: field 'kind'"),
        ({k: v for k, v in GOOD.items() if k != "question"} | {"id": "q2"}, ":2: field 'question'"),
        ({**GOOD, "id": "q2", "facts": []}, ":2: field 'line'"),
        ({**GOOD}, ":2: field 'id': duplicate"),
    ],
)
def test_invalid_lines_are_named(tmp_path, row, message):
    with pytest.raises(DocqaError, match=message.replace("(", r"\(")):
        load_dataset(write(tmp_path, GOOD, row))


@pytest.fixture(scope="module")
def corpus_text():
    manifest = json.loads((REPO / "corpus" / "manifest.json").read_text(encoding="utf-8"))["documents"]
    return {
        e["doc_id"]: "\n".join(clean_text(p.text) for p in load(REPO / "corpus" / e["file"], doc_id=e["doc_id"]))
        for e in manifest
    }


@pytest.mark.parametrize("path", DATASETS, ids=[p.name for p in DATASETS])
def test_every_evidence_is_quoted_from_its_source_and_holds_the_facts(path, corpus_text):
    for question in load_dataset(path):
        if not question.answerable:
            continue
        assert set(question.sources) <= set(corpus_text), question.id
        assert any(contains_evidence(question.evidence, corpus_text[s]) for s in question.sources), question.id
        assert contains_all_facts(question.facts, question.evidence + " " + question.reference), question.id


def test_dev_set_has_at_least_80_questions_of_every_kind():
    questions = load_dataset(REPO / "eval" / "data" / "qa-dev.jsonl")
    assert len(questions) >= 80
    assert {q.kind for q in questions} == {
        "numeric",
        "definition",
        "list",
        "factual",
        "paraphrase",
        "english",
        "multi-doc",
        "unanswerable",
    }


@pytest.mark.parametrize("name", ["qa-heldout.jsonl", "heldout-b.jsonl", "heldout-c.jsonl", "offtopic-heldout.jsonl"])
def test_the_frozen_held_out_sets_are_those_the_readme_names(name):
    import hashlib

    digest = hashlib.sha256((REPO / "eval" / "data" / name).read_bytes()).hexdigest()
    row = next(line for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines() if f"/{name}`" in line)
    assert digest in row, f"{name} changed: a frozen set is never edited (its sha256 is in the README)"
