"""The direct answer of a typed question: which value leads (`labelled_choice`) and whether it does (the lead
model's probability against `lead_min_probability`)."""

from docqa.answering.lead import LEAD_FEATURES, LeadModel, candidates, direct_answer, labelled_choice, lead_features
from docqa.question import profile
from docqa.scoring import ScoredSentence


def sentences(*texts: str) -> list[ScoredSentence]:
    return [ScoredSentence(hit=0, start=0, end=len(t), text=t, score=0.9) for t in texts]


def test_the_value_of_the_row_and_column_the_question_names_is_picked():
    question = profile("Combien d'emplois ont été créés en Occitanie ?")
    rows = sentences(
        "Région: Normandie; Startups: 7; Emplois créés: 150.", "Région: Occitanie; Startups: 40; Emplois créés: 1 200."
    )
    assert labelled_choice(question, candidates(question, rows)).value.text == "1 200"
    question = profile("Quel était le budget 2023 de PariSanté ?")
    row = sentences("Programme: PariSanté; Budget 2022: 5 M€; Budget 2023: 8 M€.")
    assert labelled_choice(question, candidates(question, row)).value.text == "8 M€"


def test_the_value_whose_clause_says_most_of_the_question_is_picked():
    text = "On compte 10 entreprises françaises développant des SMT et 7 entreprises étrangères ayant des filiales."
    french = profile("Combien d'entreprises françaises développant des SMT ont été identifiées ?")
    assert labelled_choice(french, candidates(french, sentences(text))).value.text.startswith("10")
    foreign = profile("Combien d'entreprises étrangères ont des filiales ?")
    assert labelled_choice(foreign, candidates(foreign, sentences(text))).value.text.startswith("7")
    # (without the clauses, the value nearest to a word of the question: "7", right after "SMT et")


def test_the_lead_says_the_picked_value_and_how_likely_it_answers():
    question = profile("Combien de startups la cartographie recense-t-elle ?")
    quoted = sentences("La cartographie recense 97 startups / PME d'IA en santé.")
    lead = direct_answer(question, quoted, LeadModel.load())
    assert lead.text == "97 startups" and lead.sentence is quoted[0] and 0 < lead.probability < 1
    assert direct_answer(profile("Qui a publié la note ?"), quoted, LeadModel.load()) is None  # not a typed question


def test_the_shipped_lead_model_reads_these_features():
    question = profile("Combien de startups ?")
    found = candidates(question, sentences("97 startups et 18 multinationales."))
    assert lead_features(question, found).shape == (2, len(LEAD_FEATURES))
    assert LeadModel.load().info["curve"]
