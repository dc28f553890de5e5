"""The extractive answerer's composition rules, end to end on a small generated corpus with the real embedder."""

from dataclasses import replace

import pytest

from docqa.answering.extractive import ExtractiveAnswerer, _same, quoted_section
from docqa.answering.lead import _lead
from docqa.qa import QA
from docqa.question import profile
from docqa.scoring import ScoredSentence
from docqa.values import find_values
from tests.corpora import indexed_engine

HOSPITAL_SENTENCE = "Ce centre emploie 40 ingénieurs spécialisés en apprentissage automatique."
DOCS = {
    "normes.txt": (
        "La normalisation en France.\n"
        "Le décret du 16 juin 2009 définit la norme comme :\n"
        "« Un document de référence élaboré de manière consensuelle par toutes les parties intéressées. »\n"
        "Les normes ne sont pas obligatoires, sauf lorsqu’un texte réglementaire les rend d’application "
        "obligatoire, ce qui reste rare et concerne surtout la sécurité des produits, des machines et des "
        "personnes sur le territoire national.\n"
    ),
    "plan.txt": (
        "Le plan national pour la santé numérique.\n"
        "Le plan retient trois priorités :\n"
        "• Former les soignants au numérique\n"
        "• Ouvrir les données de santé : www.health-data-hub.fr\n"
        "• Financer les jeunes entreprises\n"
        "Sources : ministère de la Santé (2019)\n"
        "Il a été présenté au printemps.\n"
    ),
    "hopital.txt": f"L’hôpital Saint-Martin a ouvert un centre de données en 2019.\n{HOSPITAL_SENTENCE}\n",
    "risques.txt": (
        "Le règlement européen sur les dispositifs autonomes prévoit quatre niveaux de risque : "
        "inacceptable, élevé, limité et minime.\n"
        "Les fabricants respectent aussi des exigences qui concernent :\n"
        "• La documentation technique\n"
        "• La transparence envers les utilisateurs\n"
    ),
    "region.txt": (
        "La région Occitanie a financé 12 projets de télémédecine en 2022.\n"
        "Les projets couvrent les zones rurales du territoire.\n"
    ),
}


def engine(root, docs: dict[str, str] = DOCS, **settings) -> QA:
    return indexed_engine(root, docs, chunk_size=300, chunk_overlap=0, abstain_threshold=0.0, **settings)


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    return engine(tmp_path_factory.mktemp("extractive"))


def test_a_sentence_announcing_a_list_gets_its_items(qa):
    answer = qa.ask("Quelles sont les priorités du plan national pour la santé numérique ?")
    assert all(item in answer.answer for item in ("Former les soignants", "Ouvrir les données", "Financer"))
    assert "Sources" not in answer.answer and "printemps" not in answer.answer  # the sources close the list
    assert "Financer" in answer.answer  # an item holding a web address is an item
    quotes = [q for c in answer.citations for q in c.quote.split(" … ")]
    assert "Former les soignants au numérique" in quotes and not any(q.startswith("•") for q in quotes)  # no bullet


def test_a_best_sentence_that_enumerates_is_the_list(qa):
    answer = qa.ask("Quels niveaux de risque prévoit le règlement européen sur les dispositifs autonomes ?")
    assert answer.answer.startswith("Le règlement européen sur les dispositifs autonomes prévoit quatre niveaux")


def test_a_sentence_announcing_a_quote_gets_the_quote(qa):
    answer = qa.ask("Comment le décret du 16 juin 2009 définit-il la norme ?")
    assert "document de référence" in answer.answer


@pytest.mark.parametrize("sentence_index", ["", "e5"])
def test_each_part_of_a_two_document_question_is_answered(qa, tmp_path, sentence_index):
    qa = engine(tmp_path, sentence_embedder=sentence_index) if sentence_index else qa
    answer = qa.ask(
        "Combien d'ingénieurs emploie le centre de données de l'hôpital Saint-Martin, "
        "et combien de projets de télémédecine la région Occitanie a-t-elle financés ?"
    )
    assert "40" in answer.answer and "12" in answer.answer
    assert {c.doc_id for c in answer.citations} >= {"hopital", "region"}


def test_each_part_gets_its_own_direct_answer_or_says_the_reports_do_not_say(qa):
    answer = qa.ask(
        "Combien d'ingénieurs emploie le centre de données de l'hôpital Saint-Martin, "
        "et combien de projets de télémédecine la région Occitanie a-t-elle financés en 2030 ?"
    )
    lines = answer.answer.splitlines()
    assert lines[0].startswith("40 ingénieurs [1]") and "Ce centre emploie 40 ingénieurs" in lines[1]
    assert lines[-1] == (
        "« combien de projets de télémédecine la région Occitanie a-t-elle financés en 2030 » : "
        "les rapports ne le disent pas."
    )
    assert not answer.abstained and [c.doc_id for c in answer.citations] == ["hopital"]


def test_a_question_none_of_whose_parts_is_answered_abstains(qa):
    answer = qa.ask(
        "Combien d'ingénieurs le centre de données de l'hôpital Saint-Martin employait-il en 2031, "
        "et combien de projets la région Occitanie a-t-elle financés en 2030 ?"
    )
    assert answer.abstained


@pytest.mark.parametrize(("lead", "alone", "lines"), [(0.0, 0.0, 2), (0.0, 1.0, 2), (1.0, 1.0, 1)])
def test_a_likely_value_leads_and_is_quoted_with_its_sentence_alone(qa, lead, alone, lines):
    settings = {"lead_min_probability": lead, "lead_alone_min_probability": alone}
    answerer = ExtractiveAnswerer(qa.index, qa.settings.model_copy(update=settings), qa.retriever.scorer)
    answer = answerer.answer(
        qa.retrieve("Combien d'ingénieurs emploie le centre de données de l'hôpital Saint-Martin ?")
    )
    assert len(answer.answer.splitlines()) == lines and "40 ingénieurs" in answer.answer
    if lead == 0.0:
        assert answer.answer.startswith("40 ingénieurs [1]")
    if alone == 0.0:
        assert (
            answer.answer.splitlines()[1]
            == "Ce centre emploie 40 ingénieurs spécialisés en apprentissage automatique. [1]"
        )


FOOTNOTES = {
    "donnees.txt": (
        "L’équipe du service conçoit des datamarts* pour chaque unité de soins, selon le référentiel(1) national.\n"
        "Elle publie un bilan chaque trimestre.\n"
        "Les équipes se réunissent chaque semaine.\n"
        "* Magasin de données ou comptoir de données\n"
        "(1) Référentiel publié par l’agence en 2021.\n"
    )
}


@pytest.mark.parametrize("footnotes", [True, False])
def test_a_definition_s_quote_calling_a_footnote_on_the_term_is_followed_by_the_footnote(tmp_path, footnotes):
    qa = engine(tmp_path, FOOTNOTES, definition_footnotes=footnotes)
    answer = qa.ask("Que désigne un datamart, que conçoit l’équipe du service ?")
    assert "conçoit des datamarts*" in answer.answer
    assert ("Magasin de données ou comptoir de données" in answer.answer) == footnotes
    assert "Référentiel publié" not in answer.answer  # a footnote called on a word the question does not use
    assert not footnotes or "Magasin de données" in answer.citations[0].passage  # each quote is in its passage


LEGEND_LINE = "* Effet direct : métier qui emploie lui-même des outils de calcul dans ses tâches quotidiennes"
LEGEND = {
    "tableau.txt": "".join(
        f"Tableau {n} des métiers du laboratoire.\nTechnicien de mesure {n} Oui Direct\nAcheteur {n} Non -\n"
        f"{LEGEND_LINE}\n\n"
        for n in range(1, 5)
    )
}


def test_a_legend_repeated_under_each_table_defines_the_term_it_starts_with(tmp_path):
    qa = engine(tmp_path, LEGEND)
    assert qa.index.repeats("tableau", LEGEND_LINE) >= qa.settings.repeated_line_places  # a repeated line...
    definition = "Qu'entend-on par « effet direct » dans le tableau des métiers ?"
    assert "emploie lui-même des outils de calcul" in qa.ask(definition).answer  # ...that a definition may quote
    evidence = qa.retrieve(definition)
    legend = next(s for s in evidence.sentences if s.text.startswith(LEGEND_LINE))
    answerer = qa.answerer
    assert answerer._quotable(legend, evidence.hits, evidence.question)
    other = profile("Quels métiers emploient eux-mêmes des outils de calcul ?")
    assert not answerer._quotable(legend, evidence.hits, other) and not answerer._quotable(legend, evidence.hits)
    answerer.settings = answerer.settings.model_copy(update={"legend_tail_chars": 200})
    assert not answerer._quotable(legend, evidence.hits, evidence.question)  # it must say more than the term


SOURCES = {
    "sources.txt": (
        "Le règlement sur la neutralité carbone(1) fixe un objectif pour 2050.\n"
        "Les freins aux cobots(2) sont (1) techniques, (2) juridiques et réglementaires, (3) sociaux.\n"
        "Les ateliers conçoivent des **cobots** pour la logistique.\n\n"
        "(1) Source : mission d’information du Sénat.\n"
        "* **Budget** : le budget annuel est voté en janvier.\n"
    )
}


@pytest.mark.parametrize(
    "question",
    [
        "Qu'est-ce que la neutralité carbone selon le règlement ?",  # its note is a source
        "Que désigne un cobot, dont les freins sont techniques ?",  # "(2)" only within a sentence
        "Que désigne un cobot, que conçoivent les ateliers ?",  # Markdown emphasis, no call
    ],
)
def test_a_source_an_enumeration_or_emphasis_is_no_footnote(tmp_path, question):
    qa = engine(tmp_path, SOURCES)
    without = ExtractiveAnswerer(
        qa.index, qa.settings.model_copy(update={"definition_footnotes": False}), qa.retriever.scorer
    )
    evidence = qa.retrieve(question)
    assert qa.answerer.answer(evidence).answer == without.answer(evidence).answer


def _scored(text: str, score: float, dense: float, value: bool = True, words: str = "") -> ScoredSentence:
    """A sentence far from the question's words (lex 0.1), at an offset of passage 0 that its `score` sets."""
    features = {"lex": 0.1, "dense": dense, "type_value": float(value)}
    covered = frozenset(words.split())
    start = int(score * 1000)  # apart from the others
    return ScoredSentence(0, start, start + len(text), text, score, covered, features)


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("Combien de chantiers le territoire a-t-il soutenus ?", "nearest stating a value."),
        ("Pourquoi le territoire soutient-il ces chantiers ?", "nearest."),  # no value asked
        ("Quels chantiers le territoire soutient-il ?", "selector's best."),  # a list: its announcement
    ],
)
def test_a_paraphrase_quotes_first_the_sentence_nearest_in_the_embedding(qa, question, first, monkeypatch):
    monkeypatch.setattr(qa.index, "paraphrase_sentences", None)  # the index's embedder alone ("dense")
    sentences = [
        _scored("selector's best.", 0.9, 0.2),
        _scored("nearest.", 0.4, 0.7, value=False),
        _scored("nearest stating a value.", 0.3, 0.6),
    ]
    assert qa.answerer._paraphrase_first(profile(question), sentences)[0].text == first


def test_a_paraphrase_s_nearest_sentence_is_nearest_in_both_embeddings(qa, monkeypatch):
    question = profile("Combien de personnes travaillent dans ce centre ?")
    sentences = [
        _scored("Le ciel était bleu au-dessus du parking ce matin-là.", 0.9, 0.5),  # near by "dense" alone
        _scored("Ce centre emploie 40 ingénieurs.", 0.5, 0.45),
        _scored("La cantine ferme à quinze heures.", 0.3, 0.1),
    ]
    assert qa.answerer._paraphrase_first(question, sentences)[0].text == "Ce centre emploie 40 ingénieurs."  # e5
    stating = [replace(sentences[0], features={**sentences[0].features, "dense": 0.46}), sentences[1]]
    value = [*stating, replace(sentences[2], features={**sentences[2].features, "type_value": 0.0})]
    assert qa.answerer._paraphrase_first(question, value)[0].text == "Ce centre emploie 40 ingénieurs."  # 2 to weigh
    monkeypatch.setattr(qa.index, "paraphrase_sentences", None)
    assert qa.answerer._paraphrase_first(question, sentences)[0].text.startswith("Le ciel")


def test_a_paraphrase_s_further_quotes_score_near_the_selector_s_best(qa):
    evidence = qa.retrieve("Pourquoi le territoire soutient-il ces chantiers ?")
    sentences = [
        _scored("Le meilleur selon le sélecteur.", 0.9, 0.2, words="a"),
        _scored("Le plus proche.", 0.1, 0.7, words="b"),
        _scored("Un troisième.", 0.5, 0.3, words="c"),
    ]
    evidence = replace(evidence, sentences=sentences, parts=())
    chosen = qa.answerer._choose(evidence, sentences, paraphrase=True)
    assert [s.text for s in chosen] == ["Le plus proche.", "Le meilleur selon le sélecteur."]  # not the third


def test_a_paraphrase_is_answered_whatever_its_answerability(qa):
    evidence = qa.retrieve("Combien d'ingénieurs emploie le centre de données de l'hôpital Saint-Martin ?")
    strict = ExtractiveAnswerer(
        qa.index, qa.settings.model_copy(update={"abstain_threshold": 1.0}), qa.retriever.scorer
    )
    assert strict.select(evidence) == ([], "")  # its words match: held to the threshold
    far = [replace(s, features={**s.features, "lex": 0.1}) for s in evidence.sentences]
    segments, _ = strict.select(replace(evidence, sentences=far))
    assert segments and "40 ingénieurs" in segments[0][1][0].text


def test_a_paraphrase_is_a_question_no_sentence_of_whose_passages_holds_enough_of_its_words(qa):
    evidence = qa.retrieve("Combien d'ingénieurs emploie le centre de données en Occitanie ?")
    assert qa.answerer.paraphrase([replace(s, features={"lex": 0.1}) for s in evidence.sentences])
    assert not qa.answerer.paraphrase([replace(s, features={"lex": 0.5}) for s in evidence.sentences])
    assert not qa.answerer.paraphrase([])


def test_a_question_naming_what_no_document_writes_is_declined_unless_a_paraphrase(qa):
    evidence = qa.retrieve("Combien d'ingénieurs emploie le centre de données de l'hôpital de Leverkusen ?")
    assert evidence.question.unknown == ("leverkusen",)
    assert qa.answerer.select(evidence) == ([], "aucun rapport ne nomme Leverkusen")
    far = [replace(s, features={**s.features, "lex": 0.1}) for s in evidence.sentences]  # a paraphrase
    assert qa.answerer.select(replace(evidence, sentences=far))[0]
    off = ExtractiveAnswerer(
        qa.index, qa.settings.model_copy(update={"check_unknown_names": False}), qa.retriever.scorer
    )
    assert off.select(evidence)[0]
    known = qa.retrieve("Combien d'ingénieurs emploie le centre de données de l'hôpital Saint-Martin ?")
    assert known.question.unknown == ()


def test_a_near_copy_states_the_same_numbers():
    a = ScoredSentence(hit=0, start=0, end=40, text="Le programme a atteint 40 projets en 2022.")
    b = ScoredSentence(hit=1, start=0, end=40, text="Le programme a atteint 55 projets en 2023.")
    c = ScoredSentence(hit=1, start=0, end=40, text="Le programme a bien atteint 40 projets en 2022.")
    assert not _same(a, b) and _same(a, c)


def test_an_approximate_count_leads_in_the_question_s_language():
    text = "Une vingtaine d’écoles proposent ce cursus."
    value = find_values("count", text)[0]
    assert _lead(profile("Combien d’écoles proposent ce cursus ?"), value, text) == "Une vingtaine d’écoles"
    assert _lead(profile("How many schools offer it?"), value, text).startswith("About twenty schools")


def test_an_english_count_lead_keeps_its_order_of_magnitude():
    text = "L’accord portait sur les dossiers de près de 1,6 million de patients dans trois hôpitaux."
    value = find_values("count", text)[0]
    assert _lead(profile("How many patients did the agreement cover?"), value, text) == "Nearly 1.6 million patients"


def test_an_english_count_lead_names_the_question_s_subject_only_when_it_counts_it():
    question = replace(profile("How many students are enrolled?"), concepts=(("student", "etudi"), ("enrolled",)))
    text = "1 087 étudiants dans 18 masters"
    students, masters = find_values("count", text)
    assert _lead(question, students, text) == "1,087 students"
    assert _lead(question, masters, text) == "18 masters"  # not "18 students"
    # an adjective before its noun is not what a count counts: new jobs are no new companies
    question = replace(profile("How many new companies?"), concepts=(("new", "nouveau"), ("compan", "entrepris")))
    text = "Elles devraient générer 377 nouveaux emplois."
    assert _lead(question, find_values("count", text)[0], text) == "377 nouveaux emplois"
    # a count of something else with its order of magnitude: said in English, without its French noun
    question = replace(profile("How many ambulances operate?"), concepts=(("ambul", "ambulanc"), ("operat",)))
    text = "Un article a étudié le choix moral d’environ 40 millions de personnes."
    assert _lead(question, find_values("count", text)[0], text) == "About 40 million"


def test_an_english_amount_lead_says_its_order_of_magnitude_in_english():
    text = "Le plan prévoit un budget de 264 millions de dollars, et l'agence 2,5 milliards d’euros."
    dollars, euros = find_values("amount", text)
    question = profile("What is the plan's budget?")
    assert _lead(question, dollars, text) == "264 million dollars"
    assert _lead(question, euros, text) == "2.5 billion euros"
    assert _lead(profile("Quel est le budget du plan ?"), dollars, text) == "264 millions de dollars"


def test_a_share_said_in_words_leads_in_the_question_s_language():
    text = "Plus de la moitié des SMT identifiées sont en diabétologie, et un clinicien sur deux est convaincu."
    half, one_in_two = find_values("percentage", text)
    assert find_values("count", text) == []  # "un clinicien sur deux" counts no "deux"
    assert _lead(profile("Quelle part des SMT vise le diabète ?"), half, text) == "Plus de la moitié"
    assert _lead(profile("What share of the SMT target diabetes?"), half, text) == "More than half"
    assert _lead(profile("What share of clinicians are convinced?"), one_in_two, text) == "One in two"
    text = "Plus d’un tiers des Français."
    assert _lead(profile("What share of the French?"), find_values("percentage", text)[0], text) == "More than a third"
    text = "One in three hospitals uses it."
    assert _lead(profile("What share of hospitals?"), find_values("percentage", text)[0], text) == "One in three"


def test_an_english_duration_lead_says_its_unit_in_english():
    text = "La CNIL l’a validé pour trois ans, après 18 mois et 1 000 heures de travaux."
    three, eighteen, hours = find_values("duration", text)
    question = profile("How long did the CNIL validate it for?")
    assert _lead(question, three, text) == "Three years" and _lead(question, eighteen, text) == "18 months"
    assert _lead(question, hours, text) == "1,000 hours"
    text = "Les sept premières heures ont porté sur les modèles de fondation."
    assert _lead(question, find_values("duration", text)[0], text) == "The first seven hours"
    text = "Un an et demi plus tard."
    assert _lead(question, find_values("duration", text)[0], text) == "One year and a half"
    text = "Il a duré deux minutes, puis cent ans."
    assert [_lead(question, v, text) for v in find_values("duration", text)] == ["Two minutes", "A hundred years"]
    assert _lead(profile("Pour combien de temps la CNIL l'a-t-elle validé ?"), three, text) == "Trois ans"


def test_a_quote_is_located_under_the_heading_it_follows_in_its_passage():
    text = "Le budget du plan.\n# Financement\nLe plan dispose de 30 M€ par an.\n"
    assert quoted_section(text, text.index("Le plan dispose"), "Guide du plan") == "Financement"
    assert quoted_section(text, 0, "Guide du plan") == "Guide du plan"  # the heading the passage starts under


def test_a_heading_followed_by_a_sentence_announcing_a_list_gets_the_list(tmp_path):
    qa = engine(tmp_path, docs={"atlas.txt": ATLAS})
    evidence = qa.retrieve("Que fait le programme Atlas ?")
    heading = next(s for s in evidence.sentences if s.text.startswith("Focus sur"))
    quoted = [s.text for s in qa.answerer._complete(evidence.question, [heading], evidence.hits)]
    assert quoted[1].endswith("objectifs :") and quoted[2:] == ["• Former les soignants", "• Soigner mieux"]


ATLAS = (
    "Focus sur le programme Atlas\n"
    "Le programme Atlas poursuit deux objectifs :\n"
    "• Former les soignants\n"
    "• Soigner mieux\n"
    "Sources : ministère de la Santé (2021)\n"
)


HELIX = (
    "Les assistants des laboratoires\n"  # (the title: its words name no particular thing)
    "Le groupe Novara teste en interne l’assistant Helix.\n"
    "Ouvert à ses équipes, cet assistant sécurisé forme les salariés à la donnée.\n"
    "Le groupe Orbis déploie quant à lui l’outil Vega auprès de ses équipes.\n"
)


def test_a_name_question_s_quote_naming_nothing_new_gets_the_sentence_before_it_that_does(tmp_path):
    others = {f"rapport{i}.txt": f"Le rapport {i} décrit la santé numérique.\n" for i in range(12)}
    qa = engine(tmp_path, docs={"helix.txt": HELIX, **others})  # (a word of a tenth of the chunks names nothing)
    evidence = qa.retrieve("Comment s’appelle l’assistant sécurisé que Novara ouvre à ses équipes ?")
    ouvert = next(s for s in evidence.sentences if s.text.startswith("Ouvert"))
    quoted = [s.text for s in qa.answerer._complete(evidence.question, [ouvert], evidence.hits)]
    assert quoted == ["Le groupe Novara teste en interne l’assistant Helix.", ouvert.text]  # what it refers back to
    orbis = next(s for s in evidence.sentences if "Orbis" in s.text)  # it names something: quoted alone
    assert [s.text for s in qa.answerer._complete(evidence.question, [orbis], evidence.hits)] == [orbis.text]
    asked_open = replace(evidence.question, answer_type="open")  # not a name question: quoted alone
    assert [s.text for s in qa.answerer._complete(asked_open, [ouvert], evidence.hits)] == [ouvert.text]


def test_a_lead_s_value_comes_from_a_page_that_names_what_the_question_names(tmp_path):
    others = {f"rapport{i}.txt": f"Le rapport {i} décrit la santé numérique.\n" for i in range(30)}
    docs = {
        "plan.txt": "Plans étrangers\nLe plan israélien est doté de 264 millions de dollars sur cinq ans.\n",
        "agence.txt": "Agences\nL’Agence du numérique en santé (ANS) pilote la feuille de route du numérique.\n",
        **others,
    }
    qa = engine(tmp_path, docs=docs)
    evidence = qa.retrieve("Quel est le budget annuel de l'ANS ?")
    plan = next(s for s in evidence.sentences if "264" in s.text)
    agence = next(s for s in evidence.sentences if "ANS" in s.text)
    assert qa.answerer._failed_check(evidence.question, [plan, agence], evidence.hits) == ""  # named on a page
    settled = qa.answerer._settle(evidence.question, [plan, agence], evidence.hits)
    assert settled == "les pages citées ne nomment pas ANS"  # but not on the page the value would lead from
    answerer = ExtractiveAnswerer(qa.index, qa.settings.model_copy(update={"check_names": False}), qa.answerer.scorer)
    assert isinstance(answerer._settle(evidence.question, [plan, agence], evidence.hits), tuple)
