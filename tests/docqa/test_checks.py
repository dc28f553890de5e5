from dataclasses import replace

from docqa.answering.checks import (
    counted_stated,
    failed_check,
    names_known,
    names_stated,
    time_frame_stated,
    value_stated,
)
from docqa.question import profile
from docqa.schema import Hit
from docqa.scoring import ScoredSentence, acronym_written
from docqa.settings import Settings

TEXT = "Le budget du programme était de 9,7 M€ en 2020."
HITS = [Hit(chunk_id="c", doc_id="d", title="t", page=1, start=0, end=len(TEXT), text=TEXT, score=1.0)]
CHOSEN = [ScoredSentence(hit=0, start=0, end=len(TEXT), text=TEXT)]


def test_time_frame_must_be_in_the_cited_passage():
    assert time_frame_stated(profile("Quel budget en 2020 ?"), CHOSEN, HITS, 300) == ""
    assert "2024" in time_frame_stated(profile("Quel budget en 2024 ?"), CHOSEN, HITS, 300)
    assert time_frame_stated(profile("Quel budget pour le Plan 2024 ?"), CHOSEN, HITS, 300) == ""  # a name


def test_the_year_must_be_said_by_the_quote_or_just_before_it():
    text = "Bilan 2024. " + "Autre sujet sans date. " * 20 + "Le budget était de 9,7 M€."
    hits = [Hit(chunk_id="c", doc_id="d", title="t", page=1, start=0, end=len(text), text=text, score=1.0)]
    start = text.index("Le budget")
    chosen = [ScoredSentence(hit=0, start=start, end=len(text), text=text[start:])]
    question = profile("Quel budget en 2024 ?")
    assert time_frame_stated(question, chosen, hits, 300) and not time_frame_stated(question, chosen, hits, 1000)


def test_a_value_question_needs_a_value_of_its_kind():
    assert value_stated(profile("Quel budget ?"), CHOSEN) == ""
    reason = value_stated(profile("Combien de temps dure le programme ?"), CHOSEN)
    assert reason == "les passages ne donnent pas de durée"  # in the question's language
    assert value_stated(profile("How long does the programme last?"), CHOSEN) == "the passages state no duration"
    assert value_stated(profile("Qu'est-ce que le programme ?"), CHOSEN) == ""


def test_a_quantity_question_takes_any_kind_of_quantity():
    weighs = "Le marché pèse 12 milliards d’euros."
    chosen = [ScoredSentence(hit=0, start=0, end=len(weighs), text=weighs)]
    assert value_stated(profile("Combien pèse le marché ?"), chosen) == ""  # a count question, an amount
    assert "date" in value_stated(profile("Quand le marché a-t-il été créé ?"), chosen)


def test_checks_can_be_switched_off():
    question = profile("Quel budget en 2024 ?")
    assert failed_check(question, CHOSEN, HITS, Settings(), TEXT)
    assert not failed_check(question, CHOSEN, HITS, Settings(check_time_frame=False), TEXT)


def test_a_count_question_s_quotes_name_what_it_counts():
    text = "La cellule, dotée de 13 groupes de travail, a mis en ligne une plateforme."
    chosen = [ScoredSentence(hit=0, start=0, end=len(text), text=text)]
    asked = profile("Combien de signalements la plateforme a-t-elle reçus ?")
    question = replace(asked, counted=asked.counted_words)
    assert "signalements" in counted_stated(question, chosen)
    assert counted_stated(replace(question, counted=question.counted | {"group"}), chosen) == ""  # a near word
    assert counted_stated(asked, chosen) == ""  # nothing to check
    start_up = [ScoredSentence(hit=0, start=0, end=20, text="57 start-up sont en Ile-de-France.")]
    assert counted_stated(replace(asked, counted=frozenset({"startup"})), start_up) == ""  # "start-up", "startups"
    hits = [Hit(chunk_id="c", doc_id="d", title="t", page=1, start=0, end=len(text), text=text, score=1.0)]
    assert failed_check(question, chosen, hits, Settings(), text)
    assert not failed_check(question, chosen, hits, Settings(check_counted=False), text)


def test_a_distinctive_name_must_be_on_the_cited_pages():
    page = "Page 12. En avril 2019, Philips a ouvert à Suresnes un centre d’IA dédié à l’imagerie médicale."
    question = replace(profile("Où Samsung a-t-il ouvert son centre d'IA ?"), distinctive=(("samsung", ()),))
    assert names_stated(question, page) == "les pages citées ne nomment pas Samsung"  # as the question writes it
    assert names_stated(replace(question, distinctive=(("philips", ()),)), page) == ""
    assert names_stated(replace(question, distinctive=()), page) == ""  # no distinctive name: nothing to check
    assert failed_check(question, CHOSEN, HITS, Settings(), page)
    assert not failed_check(question, CHOSEN, HITS, Settings(check_names=False), page)


def test_a_question_names_nothing_the_reports_never_write():
    question = replace(profile("Combien de brevets a déposés le laboratoire de Leverkusen ?"), unknown=("leverkusen",))
    assert names_known(question) == "aucun rapport ne nomme Leverkusen"  # as the question writes it
    assert names_known(replace(question, unknown=())) == ""
    english = replace(profile("How many patents did the Leverkusen lab file?"), unknown=("leverkusen",))
    assert names_known(english) == "the reports never mention Leverkusen"


def test_a_name_is_found_written_as_two_words():
    question = replace(profile("Quel fonds a été créé avec Bpifrance ?"), distinctive=(("bpifrance", ()),))
    assert names_stated(question, "Un fonds créé aux côtés de BPI France.") == ""
    assert names_stated(question, "Un fonds de la BPI, France Digitale et d'autres.")  # not across a comma


def test_an_acronym_is_found_in_any_case_and_without_its_hyphens():
    question = replace(profile("Quel partenaire, outre l'INRIA ?"), distinctive=(("INRIA", ()), ("APHP", ())))
    assert names_stated(question, "Des partenariats avec l’Inserm et Inria, et l’AP-HP.") == ""
    assert "APHP" in names_stated(question, "Des partenariats avec l’Inserm et Inria.")


def test_an_english_name_is_found_by_the_corpus_word_that_translates_it():
    question = replace(profile("How many AI schools are there in Germany?"), distinctive=(("germany", ("allemagn",)),))
    assert names_stated(question, "Les écoles d’IA en Allemagne sont au nombre de douze.") == ""
    assert names_stated(question, "Les écoles d’IA en France sont au nombre de douze.") == (
        "the cited pages do not name Germany"
    )


def test_an_english_acronym_is_found_by_its_french_form():
    assert acronym_written("OECD", "la moyenne de l’OCDE était de 18 %", reordered=True)  # same letters, reordered
    assert not acronym_written("OECD", "la moyenne de l’OCDE était de 18 %")  # only for an English question
    assert acronym_written("GDPR", "le RGPD") and acronym_written("WHO", "les recommandations de l’OMS")
    assert not acronym_written("OECD", "le code de la santé", any_case=True, reordered=True)  # another acronym only
    french = replace(profile("Quel budget l'ARS a-t-elle alloué ?"), distinctive=(("ARS", ()),))
    assert "ARS" in names_stated(french, "En mars, le RSA a été revalorisé.")  # "ARS" is not "RSA" in French
    question = replace(profile("What share of French adults smoked, against the OECD?"), distinctive=(("OECD", ()),))
    assert names_stated(question, "25,4 % des adultes (moyenne de l’OCDE : 18 %)") == ""


def test_an_acronym_is_found_in_any_case_that_starts_with_a_capital():
    assert acronym_written("INRIA", "le centre Inria de Paris", any_case=True)
    assert acronym_written("ANS", "l’Agence du numérique en santé (ANS)", any_case=True)
    assert not acronym_written("ANS", "un budget voté pour cinq ans", any_case=True)  # years, not the agency
    question = replace(profile("Quel est le budget de l'ANS ?"), distinctive=(("ANS", ()),))
    assert "ANS" in names_stated(question, "Le plan est doté de 264 millions de dollars sur cinq ans.")
