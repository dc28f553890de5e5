import numpy as np

from eval.fit import Case, Outcome, accuracy, calibrate, fit_listwise, gated


def test_the_listwise_ranker_puts_the_answering_sentence_first_and_reads_as_a_probability():
    rng = np.random.default_rng(0)
    cases = []
    for _ in range(40):
        x = rng.normal(size=(12, 3))
        y = np.zeros(12, dtype=int)
        y[rng.integers(12)] = 1
        x[y == 1, 0] += 2.5  # the first feature tells the answering sentence of each list; the others are noise
        cases.append(Case(question=None, evidence=None, x=x, y=y))
    model = fit_listwise(cases, l2=1.0)
    assert abs(model.weights[0]) > 3 * max(abs(model.weights[1:]))
    first = [case.y[int(np.argmax(model(case.x)))] for case in cases]
    assert np.mean(first) > 0.8
    positives = np.concatenate([model(case.x)[case.y == 1] for case in cases])
    negatives = np.concatenate([model(case.x)[case.y == 0] for case in cases])
    assert positives.mean() > 0.5 > negatives.mean()


def test_the_abstention_and_topic_thresholds_are_calibrated_together_and_as_low_as_the_best_accuracy_allows():
    def outcome(best: float, answerable: bool, kind: str) -> Outcome:
        return Outcome(best, answerable, True, answerable, 100, kind, answerable)

    everything = (
        [outcome(0.5, True, "numeric")] * 4  # answered right, on the topic
        + [outcome(0.3, False, "unanswerable")] * 2  # a near-miss the answer model scores lower
        + [outcome(0.9, False, "unanswerable")] * 2  # off-topic questions it would answer
    )
    on_topic = np.array([0.9] * 4 + [0.95] * 2 + [0.1] * 2)  # only the answer model tells the near-misses
    threshold, topic_threshold = calibrate(everything, on_topic)
    assert 0.3 < threshold <= 0.32 and 0.1 < topic_threshold <= 0.12  # the lowest of the best
    assert accuracy(gated(everything, on_topic, topic_threshold), threshold)[:2] == (1.0, 0.0)
