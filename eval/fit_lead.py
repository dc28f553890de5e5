"""Fit the lead model (docqa/lead.json): the probability that a value of the quoted sentences answers a typed
question, which decides whether the value `labelled_choice` picks leads the answer. Its candidates are the values
of the asked kind in the sentences the extractive answerer quotes for each training question (or part of one); a
value is right when it states one of the question's facts. A logistic regression over `LEAD_FEATURES`, its
regularisation chosen by cross-validated log loss grouped by question; the curve of the picked leads' precision
against `lead_min_probability` is printed and stored. The held-out sets are never read here.

    python -m eval.fit_lead                  # fit on eval/data/qa-dev.jsonl and eval/data/qa-train*.jsonl
    python -m eval.fit_lead --report-only    # cross-validated figures, nothing saved
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import log_loss
from sklearn.model_selection import GroupKFold

from docqa.answering.extractive import ExtractiveAnswerer
from docqa.answering.lead import LEAD_FEATURES, Candidate, LeadModel, candidates, labelled_choice, lead_features
from docqa.qa import QA
from docqa.question import Question as Profile
from docqa.scoring import Logistic
from eval.dataset import Question, load_dataset
from eval.fit import FOLDS, command, fit_logistic, training_sets
from eval.metrics import contains_fact, normalize

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
PROBABILITIES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass
class LeadCase:
    """The candidate values of one question (or part) with their features and labels, and the one that
    `labelled_choice` picks."""

    question_id: str
    x: np.ndarray
    y: np.ndarray
    picked: int


def states_fact(value: str, facts: list[str]) -> bool:
    """Whether a value states one of the facts: the fact is in it, or its first number is a number of one of the
    facts' alternatives ("6 %" for "2 à 6 %", "2020" for "25 mars 2020")."""
    if any(contains_fact(fact, value) for fact in facts):
        return True
    first = _NUMBER.search(normalize(value))
    alternatives = (a for fact in facts for a in fact.split(" | "))
    return bool(first) and any(
        _number(first.group()) in map(_number, _NUMBER.findall(normalize(a))) for a in alternatives
    )


def _number(text: str) -> str:
    return text.replace(",", ".")


def lead_cases(qa: QA, answerer: ExtractiveAnswerer, questions: list[Question]) -> list[LeadCase]:
    cases = []
    for q in questions:
        if not q.answerable:
            continue
        segments, _ = answerer.select(qa.retrieve(q.question))
        for part, chosen, _ in segments:
            found = candidates(part, chosen) if part.wants_value else []
            if found:
                cases.append(case(q, part, found))
    return cases


def case(q: Question, part: Profile, found: list[Candidate]) -> LeadCase:
    x = lead_features(part, found)
    y = np.array([states_fact(c.value.text, q.facts) for c in found], dtype=int)
    return LeadCase(q.id, x, y, found.index(labelled_choice(part, found)))


def out_of_fold(cases: list[LeadCase], c: float) -> list[np.ndarray]:
    """Each case's candidate probabilities under the model fitted on the other folds (grouped by question)."""
    groups = [k.question_id for k in cases]
    scores: list[np.ndarray] = [np.zeros(0)] * len(cases)
    for train, test in GroupKFold(FOLDS).split(cases, groups=groups):
        x = np.vstack([cases[i].x for i in train])
        y = np.concatenate([cases[i].y for i in train])
        model = fit_logistic(x, y, c)
        for i in test:
            scores[i] = model(cases[i].x)
    return scores


def curve(cases: list[LeadCase], scores: list[np.ndarray]) -> list[dict]:
    """For each minimum probability: the share of cases whose picked value leads, and the share of those leads
    that are right."""
    rows = []
    for floor in PROBABILITIES:
        led = [k.y[k.picked] for k, p in zip(cases, scores, strict=True) if p[k.picked] >= floor]
        precision = round(sum(led) / max(1, len(led)), 3)
        rows.append({"min_probability": floor, "leads": round(len(led) / len(cases), 3), "precision": precision})
    return rows


def main() -> None:
    report_only, settings, qa = command(__doc__)
    # every answer quotes what it chose (no lead shortens it): the candidates of the model being fitted
    no_lead = LeadModel(
        Logistic(np.zeros(len(LEAD_FEATURES)), -50.0, np.zeros(len(LEAD_FEATURES)), np.ones(len(LEAD_FEATURES))), {}
    )
    answerer = ExtractiveAnswerer(
        qa.index, settings.model_copy(update={"abstain_threshold": 0.0}), qa.retriever.scorer, no_lead
    )
    paths = training_sets()
    cases = lead_cases(qa, answerer, [q for p in paths for q in load_dataset(p)])
    print(f"{len(cases)} typed questions or parts with {sum(len(k.y) for k in cases)} candidate values")
    y = np.concatenate([k.y for k in cases])
    by_c = {c: out_of_fold(cases, c) for c in C_GRID}
    losses = {c: log_loss(y, np.concatenate(scores)) for c, scores in by_c.items()}
    for c, loss in losses.items():
        print(f"C={c}: CV log loss {loss:.4f}")
    c = min(losses, key=lambda k: (round(losses[k], 4), k))
    rows = curve(cases, by_c[c])
    print(f"chosen C={c}; the picked value is right for {rows[0]['precision']:.3f} of the cases")
    print("min_probability  leads  precision")
    for row in rows:
        print(f"{row['min_probability']:15.2f}  {row['leads']:5.3f}  {row['precision']:9.3f}")
    if report_only:
        return
    x = np.vstack([k.x for k in cases])
    LeadModel(fit_logistic(x, y, c), {"C": c, "cases": len(cases), "curve": rows}).save()
    print(f"saved docqa/lead.json (C={c})")


if __name__ == "__main__":
    main()
