import numpy as np

from eval.fit import Case, fit_listwise


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
