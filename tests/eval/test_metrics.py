import pytest

from docqa.schema import Answer, Citation
from eval.metrics import (
    citations_valid,
    contains_all_facts,
    contains_evidence,
    contains_fact,
    first_rank,
    hit_at,
    normalize,
    percentile,
    reciprocal_rank,
)


@pytest.mark.parametrize(
    "fact, text, expected",
    [
        ("5 000", "environ 5 000 emplois", True),
        ("5 000", "environ 5000 emplois", True),
        ("5 000", "environ 5\u202f000 emplois", True),  # narrow no-break space
        ("5000", "environ 5\u00a0000 emplois", True),
        ("50", "500 startups", False),
        ("500", "5 000 emplois", False),
        ("97", "(n = 97)", True),
        ("91 % | 91%", "91% des Français", True),
        ("9,7 M€", "un budget de 9,7 M€ en 2020", True),
        ("l'IA", "l’IA en santé", True),  # typographic apostrophe
        ("Données", "les donnees de sante", True),  # case and accents
        ("Owkin", "remporté par Owkinx", False),
    ],
)
def test_contains_fact(fact, text, expected):
    assert contains_fact(fact, text) is expected


def test_all_facts_and_evidence():
    assert contains_all_facts(["5 000", "2025"], "5 000 emplois d’ici 2025")
    assert not contains_all_facts(["5 000", "2030"], "5 000 emplois d’ici 2025")
    evidence = "Dans le scénario de référence, environ 5 000 emplois devraient être créés d’ici 2025."
    assert contains_evidence(evidence, "Texte. " + evidence.replace(" ", "\n", 3) + " Suite.")
    assert contains_evidence(evidence, evidence[: len(evidence) // 2 + 5])  # cut by a chunk boundary
    assert not contains_evidence(evidence, "Autre chose.")
    assert normalize("  A\u2009B  ") == "a b"


def test_ranks():
    assert first_rank([False, True, True]) == 2 and first_rank([False]) is None
    assert hit_at(2, 1) == 0.0 and hit_at(2, 5) == 1.0 and hit_at(None, 5) == 0.0
    assert reciprocal_rank(4) == 0.25 and reciprocal_rank(None) == 0.0
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([], 95) == 0.0


def citation(n, doc_id="a", quote="5 000 emplois.", passage="Il y aura 5 000 emplois. Fin."):
    return Citation(n=n, doc_id=doc_id, title="t", page=1, quote=quote, score=1.0, chunk_id="c", passage=passage)


def test_citation_validity():
    good = Answer(question="q", answer="5 000 emplois. [1]", abstained=False, citations=[citation(1)])
    assert citations_valid(good, ["a"])
    assert not citations_valid(good, ["b"])  # unexpected document
    dangling = good.model_copy(update={"answer": "5 000 emplois. [1] [2]"})
    assert not citations_valid(dangling, ["a"])  # marker without citation
    invented = good.model_copy(update={"citations": [citation(1, quote="7 000 emplois.")]})
    assert not citations_valid(invented, ["a"])  # quote not in the passage
    assert citations_valid(Answer(question="q", answer="Je ne sais pas.", abstained=True), [])
