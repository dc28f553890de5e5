"""Fit the sentence selector (docqa/selector.json): a listwise ranker over the sentence features of the
candidate passages of the training questions, its regularisation chosen and its abstention threshold calibrated
by cross-validation grouped by question. The held-out set is never read here.

    python -m eval.fit                       # fit on eval/data/qa-dev.jsonl and eval/data/qa-train*.jsonl
    python -m eval.fit --report-only         # cross-validated figures of the current features, nothing saved
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold

from docqa.qa import QA
from docqa.question import profile
from docqa.retrieval import Evidence
from docqa.scoring import (
    ANSWER_FEATURES,
    MODEL,
    TOPIC_FEATURES,
    Logistic,
    ScoredSentence,
    Selector,
    SentenceScorer,
    answer_features,
)
from docqa.settings import Settings, get_settings
from eval.dataset import Question, load_dataset
from eval.metrics import contains_all_facts, contains_fact, normalize
from ingest.pipeline import PIPELINE_VERSION, ingest

DATA = Path(__file__).parent / "data"
HELD_OUT = "qa-heldout.jsonl"
OFF_TOPIC = DATA / "offtopic-train.jsonl"  # questions on other subjects: the topic model's negatives only
FOLDS = 5
L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
THRESHOLDS = tuple(round(t, 3) for t in np.arange(0.02, 0.9, 0.01))


@dataclass
class Case:
    """One training question with its candidate passages and their sentences' features (for the question
    and for each of its parts) and labels."""

    question: Question
    evidence: Evidence
    x: np.ndarray
    y: np.ndarray
    parts_x: tuple[np.ndarray, ...] = ()


def training_sets() -> list[Path]:
    return [p for p in sorted(DATA.glob("qa-*.jsonl")) if p.name != HELD_OUT]


def label(sentence: str, question: Question) -> bool:
    """Whether a sentence answers the question: it is (part of) the evidence quote, or states all its facts."""
    if not question.answerable:
        return False
    if contains_all_facts(question.facts, sentence) and not contains_all_facts(question.facts, question.question):
        return True
    s, e = normalize(sentence), normalize(question.evidence)
    if len(s) >= 20 and (s in e or e in s):
        return True
    match = difflib.SequenceMatcher(None, s, e, autojunk=False).find_longest_match(0, len(s), 0, len(e))
    return match.size >= min(40, len(e) // 2) and any(contains_fact(f, sentence) for f in question.facts)


def build_cases(qa: QA, questions: list[Question]) -> list[Case]:
    scorer: SentenceScorer = qa.retriever.scorer
    n = max(qa.settings.top_k, qa.settings.rerank_candidates)
    cases = []
    for q in questions:
        question = profile(q.question)
        vectors = qa.retriever.embed(question.text)
        part_vectors = [qa.retriever.embed(part.text) for part in question.parts]
        question = qa.retriever.read_names(question)
        candidates = qa.retriever.candidates(question, vectors, n, part_vectors=part_vectors)
        sentences, x = scorer.features(question, candidates, vectors)
        parts = [scorer.features(p, candidates, v) for p, v in zip(question.parts, part_vectors, strict=True)]
        y = np.array([label(s.text, q) for s in sentences], dtype=int)
        evidence = Evidence(question, vectors, candidates, sentences, tuple(p[0] for p in parts))
        cases.append(Case(q, evidence, x, y, tuple(p[1] for p in parts)))
    return cases


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float) -> Logistic:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - mean) / scale, y)
    return Logistic(model.coef_[0], float(model.intercept_[0]), mean, scale)


def fit_listwise(cases: list[Case], l2: float) -> Logistic:
    """The sentence model as a listwise ranker: weights that maximise, for each question, the softmax probability
    of its answering sentences among all its candidate sentences (L2 penalty `l2`), which is what picking the best
    sentence needs; then a sigmoid of that score fitted to the labels (Platt scaling), so that the score reads as
    the probability that the sentence answers."""
    x = np.vstack([case.x for case in cases])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    lists = [((case.x - mean) / scale, case.y.astype(bool)) for case in cases if case.y.any()]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = l2 * w @ w, 2 * l2 * w
        for features, answering in lists:
            z = features @ w
            all_, right = logsumexp(z), logsumexp(z[answering])
            total += all_ - right
            target = np.where(answering, np.exp(z - right), 0.0)
            gradient += features.T @ (np.exp(z - all_) - target)
        return total, gradient

    w = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    z = ((x - mean) / scale) @ w
    labels = np.concatenate([case.y for case in cases])
    platt = LogisticRegression(max_iter=1000, class_weight="balanced").fit(z[:, None], labels)
    return Logistic(w * platt.coef_[0, 0], float(platt.intercept_[0]), mean, scale)


def sentence_selector(cases: list[Case], l2: float) -> Selector:
    """A selector whose sentence model is fitted on `cases` (and which never abstains)."""
    sentence = fit_listwise(cases, l2)
    never = Logistic(
        np.zeros(len(ANSWER_FEATURES)), 10.0, np.zeros(len(ANSWER_FEATURES)), np.ones(len(ANSWER_FEATURES))
    )
    return Selector(sentence, never, threshold=0.0, info={})


def folds(cases: list[Case]) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = np.arange(len(cases))
    return list(GroupKFold(n_splits=FOLDS).split(groups, groups=groups))


def out_of_fold(cases: list[Case], l2: float) -> dict[int, Selector]:
    """For each case, the selector fitted on the folds it is not in."""
    selectors: dict[int, Selector] = {}
    for train, test in folds(cases):
        selector = sentence_selector([cases[i] for i in train], l2)
        selectors.update({int(i): selector for i in test})
    return selectors


def top1(cases: list[Case], selectors: dict[int, Selector]) -> float:
    """Share of the answerable cases whose best sentence answers."""
    hits = [
        bool(case.y[int(np.argmax(selectors[n].probabilities(case.x)))])
        for n, case in enumerate(cases)
        if case.question.answerable and len(case.y)
    ]
    return sum(hits) / max(1, len(hits))


def ranked(case: Case, selector: Selector, top_k: int) -> Evidence:
    """The case's evidence scored by `selector` and re-ranked as the retriever does, limited to `top_k`."""

    def scored(sentences: list, x: np.ndarray) -> list:
        p = selector.probabilities(x) if len(x) else np.zeros(0)
        return sorted((replace(s, score=float(v)) for s, v in zip(sentences, p, strict=True)), key=lambda s: -s.score)

    evidence = case.evidence
    parts = tuple(scored(s, x) for s, x in zip(evidence.parts, case.parts_x, strict=True))
    return replace(evidence, sentences=scored(evidence.sentences, case.x), parts=parts).reranked().top(top_k)


@dataclass
class Outcome:
    best: float  # the out-of-fold answerability (what the threshold is compared with)
    answered_right: bool  # answered (checks passed) with all the facts, at threshold 0
    answered: bool  # checks passed, at threshold 0
    answerable: bool
    chars: int
    kind: str
    evidence_in_top: bool  # a sentence labelled as answering is in the top-k passages


def outcomes(
    qa: QA, cases: list[Case], selectors: dict[int, Selector], answerability: np.ndarray, settings: Settings
) -> list[Outcome]:
    """What the extractive answerer does with each case under its fold's selector, before the threshold."""
    from docqa.answering import ExtractiveAnswerer

    results = []
    for n, case in enumerate(cases):
        selector = selectors[n]
        scorer = SentenceScorer(qa.index, selector)
        answerer = ExtractiveAnswerer(qa.index, settings.model_copy(update={"abstain_threshold": 0.0}), scorer)
        evidence = ranked(case, selector, settings.top_k)
        answer = answerer.answer(evidence)
        # a paraphrase (the question or one of its parts) is not held to the abstention threshold
        # (`ExtractiveAnswerer.answerable`)
        paraphrase = any(answerer.paraphrase(s) for s in [evidence.sentences, *evidence.parts])
        best = 1.0 if paraphrase else float(answerability[n])
        right = not answer.abstained and contains_all_facts(case.question.facts, answer.answer)
        kept = {hit.chunk_id for hit in evidence.hits}
        sentences = zip(case.evidence.sentences, case.y, strict=True)
        answering = {case.evidence.hits[s.hit].chunk_id for s, y in sentences if y}
        found = bool(answering & kept)
        results.append(
            Outcome(
                best,
                right,
                not answer.abstained,
                case.question.answerable,
                len(answer.answer),
                case.question.kind,
                found,
            )
        )
    return results


def accuracy(results: list[Outcome], threshold: float) -> tuple[float, float, float]:
    """Overall accuracy, wrong abstentions (share of answerable questions) and precision of the answers."""
    correct, wrong_abstain, answered, answered_right = 0, 0, 0, 0
    for r in results:
        answers = r.answered and r.best >= threshold
        answered += answers
        if r.answerable:
            ok = answers and r.answered_right
            correct += ok
            answered_right += ok
            wrong_abstain += not answers
        else:
            correct += not answers
    n_answerable = sum(r.answerable for r in results) or 1
    return correct / len(results), wrong_abstain / n_answerable, answered_right / max(1, answered)


def gated(results: list[Outcome], on_topic: np.ndarray, threshold: float) -> list[Outcome]:
    """The outcomes with the questions that the topic model puts off-topic (under `threshold`) abstaining."""
    return [replace(r, best=0.0) if p < threshold else r for r, p in zip(results, on_topic, strict=True)]


def calibrate(everything: list[Outcome], on_topic: np.ndarray) -> tuple[float, float]:
    """The abstention and topic thresholds of best cross-validated overall accuracy on the training and the
    off-topic questions together, as the answerer applies both (the lowest ones on ties: fewer wrong
    abstentions)."""
    scored = (
        ((accuracy(gated_outcomes, threshold)[0], -threshold, -topic_threshold), (threshold, topic_threshold))
        for topic_threshold in THRESHOLDS
        for gated_outcomes in [gated(everything, on_topic, topic_threshold)]
        for threshold in THRESHOLDS
    )
    return max(scored)[1]


def ranked_cases(cases: list[Case], selectors: dict[int, Selector], top_k: int) -> list[Evidence]:
    """Each case's evidence as the answerer sees it: scored by its fold's selector, its `top_k` passages."""
    return [ranked(case, selectors[n], top_k) for n, case in enumerate(cases)]


def feature_rows(cases: list[Case], best: list[list[ScoredSentence]], names: tuple[str, ...]) -> np.ndarray:
    """The features `names` of each case, read from its `best` sentences (zeros without any)."""
    return np.array(
        [
            answer_features(case.evidence.question, sentences, names) if sentences else np.zeros(len(names))
            for case, sentences in zip(cases, best, strict=True)
        ]
    )


def part_rows(evidences: list[Evidence]) -> list[np.ndarray]:
    """The answer features of each part of each question (no rows for a question of one part)."""
    rows = []
    for evidence in evidences:
        scored = zip(evidence.question.parts, evidence.parts, strict=True)
        rows.append(np.array([answer_features(part, sentences) for part, sentences in scored if sentences]))
    return rows


def command(doc: str) -> tuple[bool, Settings, QA]:
    """A fitting command's start (`doc`: its module's docstring): whether `--report-only` was given, the settings
    and the engine."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="print cross-validated figures, save nothing")
    report_only = parser.parse_args().report_only
    settings = get_settings()
    return report_only, settings, QA(settings)


def main() -> None:
    report_only, settings, qa = command(__doc__)
    ingest([settings.corpus_dir], qa.index, settings)
    paths = training_sets()
    questions = [q for p in paths for q in load_dataset(p)]
    cases = build_cases(qa, questions)
    print(
        f"{len(questions)} questions from {', '.join(p.name for p in paths)}; "
        f"{sum(len(c.y) for c in cases)} sentences, {sum(int(c.y.sum()) for c in cases)} positive"
    )
    # 1. the sentence model: regularisation chosen by cross-validated top-1 accuracy
    by_l2 = {l2: out_of_fold(cases, l2) for l2 in L2_GRID}
    for l2, selectors in by_l2.items():
        print(f"sentence model L2={l2}: CV top-1 accuracy {top1(cases, selectors):.3f}")
    l2 = max(by_l2, key=lambda k: (round(top1(cases, by_l2[k]), 3), k))
    selectors = by_l2[l2]
    # 2. the abstention model, stacked on the out-of-fold sentence scores
    evidences = ranked_cases(cases, selectors, settings.top_k)
    best = [evidence.sentences for evidence in evidences]
    rows = feature_rows(cases, best, ANSWER_FEATURES)
    labels = np.array([int(case.question.answerable) for case in cases])
    parts = part_rows(evidences)
    answerability = np.zeros(len(cases))
    for train, test in folds(cases):
        model = fit_logistic(rows[train], labels[train], 1.0)
        answerability[test] = model(rows[test])
        for n in test:  # a multi-part question is answered when one of its parts is (`ExtractiveAnswerer`)
            if len(parts[n]):
                answerability[n] = max(answerability[n], float(model(parts[n]).max()))
    results = outcomes(qa, cases, selectors, answerability, settings)
    # 3. the topic model: the training questions (answerable or not) against off-topic ones
    selector = sentence_selector(cases, l2)
    answer_model = fit_logistic(rows, labels, 1.0)
    off_cases = build_cases(qa, load_dataset(OFF_TOPIC))
    off_selectors = {n: selector for n in range(len(off_cases))}
    off_best = [evidence.sentences for evidence in ranked_cases(off_cases, off_selectors, settings.top_k)]
    off_rows = feature_rows(off_cases, off_best, ANSWER_FEATURES)
    off_results = outcomes(qa, off_cases, off_selectors, answer_model(off_rows), settings)
    topic_rows = np.vstack(
        [feature_rows(cases, best, TOPIC_FEATURES), feature_rows(off_cases, off_best, TOPIC_FEATURES)]
    )
    topic_labels = np.concatenate([np.ones(len(rows), dtype=int), np.zeros(len(off_rows), dtype=int)])
    on_topic = np.zeros(len(topic_rows))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(topic_rows, topic_labels):
        on_topic[test] = fit_logistic(topic_rows[train], topic_labels[train], 1.0)(topic_rows[test])
    # 4. both thresholds, calibrated together; the figures are those of the answerer with both
    threshold, topic_threshold = calibrate(results + off_results, on_topic)
    ungated = accuracy(results, threshold)
    results = gated(results, on_topic[: len(results)], topic_threshold)
    declined = np.mean(on_topic[len(results) :] < topic_threshold)
    answered = 1 - accuracy(gated(off_results, on_topic[len(results) :], topic_threshold), threshold)[0]
    acc, wrong, precision = accuracy(results, threshold)
    print(
        f"chosen L2={l2}, threshold {threshold}, topic threshold {topic_threshold}: CV accuracy {acc:.3f}, wrong "
        f"abstentions {wrong:.3f} (without the topic model {ungated[0]:.3f}, {ungated[1]:.3f}); {len(off_cases)} "
        f"off-topic questions: {declined:.2f} declined by the topic model, {answered:.2f} answered"
    )
    print("threshold  accuracy  wrong-abstentions  answer-precision")
    curve = []
    for t in THRESHOLDS[::5]:
        a, w, p = accuracy(results, t)
        curve.append(
            {"threshold": t, "accuracy": round(a, 3), "wrong_abstention": round(w, 3), "precision": round(p, 3)}
        )
        print(f"{t:9.2f}  {a:8.3f}  {w:17.3f}  {p:16.3f}")
    print("kind           n  accuracy  evidence-in-top-k")
    for kind in sorted({r.kind for r in results}):
        of_kind = [r for r in results if r.kind == kind]
        answerable = [r for r in of_kind if r.answerable] or of_kind
        found = sum(r.evidence_in_top for r in answerable) / len(answerable)
        print(f"{kind:12s} {len(of_kind):3d}  {accuracy(of_kind, threshold)[0]:8.3f}  {found:17.3f}")
    for check in (name for name in Settings.model_fields if name.startswith("check_")):  # each named check
        off = settings.model_copy(update={check: False})
        ablated_outcomes = outcomes(qa, cases, selectors, answerability, off)
        ablated_outcomes = gated(ablated_outcomes, on_topic[: len(results)], topic_threshold)
        ablated = accuracy(ablated_outcomes, threshold)[0]
        print(f"without {check}: CV accuracy {ablated:.3f}")
    if report_only:
        return
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()[:16]
    info = {
        "l2": l2,
        "pipeline_version": PIPELINE_VERSION,
        "embedder": qa.index.model,
        "sentence_embedder": qa.settings.sentence_embedder,
        "trained_on": [p.name for p in paths],
        "training_hash": digest,
        "cv_top1": round(top1(cases, selectors), 4),
        "cv_accuracy": round(acc, 4),
        "cv_wrong_abstention": round(wrong, 4),
        "cv_median_chars": statistics.median(r.chars for r in results),
        "cv_off_topic_declined": round(float(declined), 4),
        "off_topic_trained_on": OFF_TOPIC.name,
        "curve": curve,
    }
    topic = fit_logistic(topic_rows, topic_labels, 1.0)
    Selector(selector.sentence, answer_model, threshold, info, topic, topic_threshold).save(MODEL)
    print(f"saved {MODEL}")


if __name__ == "__main__":
    main()
