"""Evaluation datasets: JSONL, one question per line, validated on load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError, model_validator

from docqa.errors import DocqaError


class Question(BaseModel):
    id: str
    question: str
    reference: str = ""
    facts: list[str]
    sources: list[str]
    answerable: bool
    kind: Literal["numeric", "definition", "list", "factual", "paraphrase", "english", "multi-doc", "unanswerable"]
    evidence: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.answerable and not (self.facts and self.sources and self.evidence):
            raise ValueError("an answerable question needs facts, sources and evidence")
        if not self.answerable and self.facts:
            raise ValueError("an unanswerable question has no facts")
        return self


def load_dataset(path: Path) -> list[Question]:
    """The questions of a JSONL file; a bad line raises DocqaError naming the line and the field."""
    questions: list[Question] = []
    seen: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DocqaError(f"{path}: cannot read the dataset ({exc.strerror})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            question = Question.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DocqaError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or "line"
            raise DocqaError(f"{path}:{number}: field '{field}': {error['msg']}") from None
        if question.id in seen:
            raise DocqaError(f"{path}:{number}: field 'id': duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise DocqaError(f"{path}: no questions")
    return questions
