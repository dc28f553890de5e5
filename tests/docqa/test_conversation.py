"""The conversation module: turns in, the standalone question out, in French and English."""

import pytest

from docqa.conversation import Turn, standalone_question, words
from docqa.errors import DocqaError

STARTUPS = "Combien de startups d'IA en santé la cartographie recense-t-elle ?"
JOBS = "How many AI jobs in health by 2025?"


def user(text):
    return Turn("user", text)


@pytest.mark.parametrize(
    "previous, follow_up",
    [
        (STARTUPS, "Et combien de multinationales ?"),
        ("Combien d'emplois liés à l'IA d'ici 2025 ?", "et en 2030 ?"),
        (JOBS, "What about 2030?"),
        (JOBS, "and in France?"),
    ],
)
def test_a_short_follow_up_is_merged_with_the_previous_question(previous, follow_up):
    turns = [user(previous), Turn("assistant", "Environ 5 000 emplois [1]."), user(follow_up)]
    assert standalone_question(turns) == f"{previous} {follow_up}"


def test_a_question_that_stands_on_its_own_is_kept():
    question = "Quel budget pour le Health Data Hub en 2020 ?"
    assert standalone_question([user(STARTUPS), user(question)]) == question
    assert standalone_question([user("  Et en 2030 ?  ")]) == "Et en 2030 ?"  # nothing to lean on


def test_follow_ups_lean_on_the_last_question_that_stood_on_its_own():
    turns = [user("Combien d'emplois d'ici 2025 ?"), user("et en 2030 ?"), user("et en 2040 ?")]
    assert standalone_question(turns) == "Combien d'emplois d'ici 2025 ? et en 2040 ?"
    short = [user("Emplois en 2025 ?"), user("Et 2030 ?"), user("Et 2040 ?")]  # the first question stood alone
    assert standalone_question(short) == "Emplois en 2025 ? Et 2040 ?"


def test_assistant_turns_are_not_questions_and_a_conversation_needs_one():
    assert standalone_question([user(JOBS), Turn("assistant", "About 5,000.")]) == JOBS
    with pytest.raises(DocqaError, match="no user question"):
        standalone_question([Turn("assistant", "Bonjour")])
    with pytest.raises(DocqaError, match="the question is empty"):  # never the question before it
        standalone_question([user(JOBS), Turn("assistant", "About 5,000."), user("   ")])


def test_words_are_a_rough_token_count():
    assert words("Combien d'emplois liés à l’IA ?") == 7
    assert words("") == 0
