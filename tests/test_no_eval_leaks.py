"""No rule fitted to one eval question: no string literal of docqa/ or ingest/ (docstrings aside) holds five
consecutive words of an eval question, reference or evidence, nor an eval id."""

import ast
import json
import re
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUN = 5


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'")).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", text)


def code_strings(source: str) -> list[str]:
    """String literals of a module that are not docstrings."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


def eval_runs() -> tuple[set[str], set[str]]:
    runs, ids = set(), set()
    for path in sorted((REPO / "eval" / "data").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                ids.add(item["id"])
                for field in ("question", "reference", "evidence"):
                    w = words(item.get(field, ""))
                    runs.update(" ".join(w[i : i + RUN]) for i in range(len(w) - RUN + 1))
    return runs, ids


def test_no_string_literal_repeats_an_eval_question():
    runs, ids = eval_runs()
    leaks = []
    for package in ("docqa", "ingest"):
        for path in sorted((REPO / package).rglob("*.py")):
            strings = code_strings(path.read_text(encoding="utf-8"))
            w = words(" | ".join(strings))
            leaks += [
                f"{path.name}: {' '.join(w[i : i + RUN])!r}"
                for i in range(len(w) - RUN + 1)
                if " ".join(w[i : i + RUN]) in runs
            ]
            leaks += [f"{path.name}: eval id {s!r}" for s in strings if s in ids]
    assert not leaks, leaks[:10]


def test_the_check_finds_a_planted_phrase():
    runs, _ = eval_runs()
    planted = "Combien de startups / PME d'IA en santé la cartographie"
    w = words(planted)
    assert any(" ".join(w[i : i + RUN]) in runs for i in range(len(w) - RUN + 1))
