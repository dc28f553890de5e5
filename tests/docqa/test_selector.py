import numpy as np
import pytest

from docqa.question import profile
from docqa.scoring import ANSWER_FEATURES, TOPIC_FEATURES, Logistic, ScoredSentence, Selector, glosses


def constant(p: float, n: int) -> Logistic:
    """A model that says `p` whatever it reads."""
    return Logistic(np.zeros(n), float(np.log(p / (1 - p))), np.zeros(n), np.ones(n))


def selector(topic_p: float | None) -> Selector:
    topic = None if topic_p is None else constant(topic_p, len(TOPIC_FEATURES))
    return Selector(constant(0.5, 3), constant(0.9, len(ANSWER_FEATURES)), 0.4, {}, topic, topic_threshold=0.6)


def test_a_question_off_the_documents_topic_is_not_answerable():
    question = profile("Quelle est la recette de la pâte à crêpes ?")
    sentences = [ScoredSentence(hit=0, start=0, end=10, text="Une recette", score=0.8)]
    assert abs(selector(0.5).answerability(question, sentences) - 0.9) < 1e-6  # the answer model alone
    assert selector(None).on_topic(question, sentences)  # no topic model
    assert selector(0.7).on_topic(question, sentences)
    assert not selector(0.5).on_topic(question, sentences)  # under the calibrated topic threshold
    assert selector(0.5).on_topic(question, sentences, threshold=0.0)  # gate off
    assert not selector(0.7).on_topic(question, sentences, threshold=0.8)


@pytest.mark.parametrize(
    ("sentence", "gloss"),
    [
        ("PME : petites et moyennes entreprises (entreprises avec moins de 250 collaborateurs)", True),
        ("• Designer UI : s’occupe du lien entre la machine et l’homme", True),
        ("Répartition des PME en France : voir page 12", True),
        ("Source : AEC", False),  # too short to explain
        ("Les PME de la santé numérique en France et en Europe, par région : données 2019", False),  # a long head
        ("ETI : entreprises de taille intermédiaire de 250 à 5 000 salariés", False),  # another term
        ("Les PME comptent moins de 250 collaborateurs.", False),  # no colon
    ],
)
def test_a_gloss_of_the_question_s_term_states_a_definition(sentence, gloss):
    question = profile("Qu'entend l'étude AEC par PME ou par designer UI ?")
    assert glosses(question, sentence, head_words=5, tail_words=3) == gloss


def test_a_word_that_asks_the_question_is_no_term_it_asks_about():
    gloss = "Designer UI : s’occupe du lien entre la machine et l’homme"
    assert not glosses(profile("Que désigne le sigle SMT ?"), gloss, head_words=5, tail_words=3)
    assert glosses(profile("Que désigne le métier de designer UI ?"), gloss, head_words=5, tail_words=3)


def test_the_words_asking_a_question_s_type_are_not_what_the_corpus_lacks(tmp_path):
    from tests.corpora import indexed_engine

    text = "Les solutions multi-technologiques (SMT) associent un médicament et un logiciel. Les SMT progressent."
    qa = indexed_engine(tmp_path, {"smt.txt": text, "autre.txt": "Les SMT et les logiciels de santé."})

    def unknown(question: str) -> float:
        evidence = qa.retrieve(question)
        return evidence.sentences[0].features["unknown_share"]

    assert unknown("What does SMT stand for?") == 0.0  # "stand" asks for a definition
    assert unknown("What does SMT stand for in Kyoto?") > 0  # a word of what it is about
    assert unknown("What does XKCD stand for?") == 1.0  # the acronym it asks about is no asking word
    qa.index.close()
