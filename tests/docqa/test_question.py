import unicodedata

import pytest

from docqa.question import profile, split_parts, subject


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Combien de startups d'IA en santé la cartographie recense-t-elle ?", "count"),
        ("How many jobs could be created by 2025?", "count"),
        ("Quel budget pour le programme en 2020 ?", "amount"),
        ("Quels sont les frais d'inscription du master ?", "amount"),  # fees are an amount, not a list
        ("Quels montants la région a-t-elle engagés pour ses deux instituts ?", "amount"),  # amounts, not a list
        ("Combien les sociétés ont-elles obtenu par leurs levées de fonds ?", "amount"),  # in the plural too
        ("Combien de levées de fonds la ville a-t-elle comptées ?", "count"),  # unless a count counts them
        ("How much did the fund invest in 2019?", "amount"),
        ("How much time did the trial last?", "duration"),
        ("Quelle part des entreprises se positionne sur l'innovation ?", "percentage"),
        ("When was the page last updated?", "date"),
        ("Combien de temps a duré l'expérience ?", "duration"),
        ("Combien d'heures de formation comprend le DU ?", "duration"),  # a count of a duration's unit
        ("How many months does the AI Act allow before it applies?", "duration"),
        ("Combien de monographies ont été publiées ?", "count"),
        ("Quelle fraction des habitants avait plus de 65 ans ?", "percentage"),
        ("Pour quelle somme la société a-t-elle été rachetée ?", "amount"),
        ("Quel effectif compte l'entreprise ?", "count"),
        ("Which three institutes put the emphasis on health?", "list"),  # "which" and a number of things
        ("Quelle est la part des startups en Ile-de-France ?", "percentage"),  # as "quelle part"
        ("Quelle est aujourd'hui la part des startups en Ile-de-France ?", "percentage"),  # an adverb between
        ("What's the share of startups in Paris?", "percentage"),
        ("What is currently the share of startups in Paris?", "percentage"),
        ("Quelle est l'entreprise qui détient la plus grande part du marché ?", "open"),  # no share asked
        ("What was the date of the vote?", "date"),
        ("Quel outil aide à gagner du temps quand aucun spécialiste n'est là ?", "name"),  # "quand" starts a clause
        ("La structure : quand a-t-elle été créée ?", "date"),
        ("When start-ups apply, within what time do regulators answer?", "open"),
        ("Which 1956 event gave AI its name?", "open"),  # a year, not a number of things
        ("Which 12-month period is covered?", "open"),
        ("Jusqu'à quand le programme dure-t-il ?", "date"),
        ("When should the rules apply?", "date"),
        ("Qui est responsable, quand l'IA se trompe ?", "name"),
        ("Comment appelle-t-on l'agence chargée du numérique ?", "open"),  # a name, not a definition
        ("Comment s’appelle la marque lancée par le groupe ?", "name"),
        ("Comment se nomme le programme de la région ?", "name"),
        ("Sous quel nom la plateforme est-elle connue ?", "name"),
        ("Quel est l'effectif de l'équipe ?", "count"),
        ("Qu'est-ce que le Health Data Hub ?", "definition"),
        ("Que sont les « bacs à sable réglementaires » ?", "definition"),
        ("Dans cette analyse, qu'appelle-t-on un impact « indirect » ?", "definition"),
        ("À quoi correspond le score LI-RADS ?", "definition"),
        ("What is the Health Data Hub?", "definition"),
        ("Quelles sont les trois catégories de solutions ?", "list"),
        ("What are the main barriers to adoption in hospitals?", "list"),
        ("Qui a fondé le laboratoire ?", "name"),
        ("Which company launched the programme?", "name"),
        ("What does HDH stand for?", "definition"),
        # a value word after the noun an interrogative determiner asks for is not what is asked
        ("Quelle société a racheté la startup pour 50 millions d'euros ?", "name"),
        ("Quels partenaires ont apporté le financement du projet ?", "list"),
        ("Which company did the group buy, and at what price?", "name"),
        ("Quel montant la société a-t-elle levé ?", "amount"),
        ("Combien d'entreprises et quelle agence ?", "count"),
        ("Quels seraient les coûts du programme ?", "amount"),  # a verb after the determiner: no noun asked
        ("Quels pourraient être les coûts du programme ?", "amount"),
        ("Quelles en sont les coûts ?", "amount"),
        ("Est-ce que la France est en avance ?", "yesno"),
        ("Pourquoi les données sont-elles essentielles ?", "open"),
    ],
)
def test_answer_type(question, kind):
    assert profile(question).answer_type == kind


def test_a_year_set_as_the_frame_by_its_year_or_edition_word_is_a_time_frame():
    assert profile("Quel budget pour l'année 2022 ?").time_frame == ("2022",)
    assert profile("Selon l'édition 2021 de l'observatoire, quelle part ?").time_frame == ("2021",)
    assert profile("What was the budget in the year 2019?").time_frame == ("2019",)
    assert profile("Que prévoit le Plan IA 2021 ?").time_frame == ()
    # the frame as the question writes it, which the direct answer repeats ("5 000 emplois d'ici 2025")
    assert profile("Combien d’emplois d’ici 2025 ?").time_frame_words == ("d’ici 2025",)
    assert profile("Quel budget pour l'année 2022 ?").time_frame_words == ("pour l'année 2022",)
    # not the start of a range nor an edition; a sentence's first word lowercased
    assert profile("Selon l'édition 2020, quel budget from 2020 to 2022 ?").time_frame_words == ()
    assert profile("En 2020, quel budget ?").time_frame_words == ("en 2020",)
    # accents written as two characters (NFD) are read as one
    assert profile(unicodedata.normalize("NFD", "Quel budget pour l'année 2022 ?")).time_frame == ("2022",)


def test_language_names_time_frame_and_quotes():
    q = profile("Selon l'étude AEC, combien d'emplois liés à l'IA d'ici 2025 dans « Plan IA 2021 » ?")
    assert q.language == "fr" and q.time_frame == ("2025",)
    assert "AEC" in q.entities and "IA" in q.entities
    assert q.quoted == ("Plan IA 2021",) and "2021" in q.numbers and "2021" not in q.time_frame
    assert profile("What did the report say about jobs by 2030?").language == "en"


def test_parts_of_a_multi_part_question():
    q = profile("Combien de startups la cartographie recense-t-elle en 2020, et quelle part en Île-de-France ?")
    assert [p.answer_type for p in q.parts] == ["count", "percentage"] and q.answer_type == "count"
    # a piece without a subject of its own stays with its neighbour
    assert len(split_parts("En quel mois et quelle année le rapport Villani a-t-il été publié ?")) == 1
    assert profile("Combien de startups ?").parts == ()


def test_parts_keep_the_question_s_own_words():
    assert split_parts("Quel budget a le HDH ? Et combien de projets ?") == [
        "Quel budget a le HDH ? Et combien de projets ?"
    ]
    assert split_parts("Combien de startups en 2020 ? et quel budget pour le HDH en 2021 ?")[1] == (
        "quel budget pour le HDH en 2021 ?"  # no leading "et"
    )
    assert split_parts("How many startups in 2020, and why and how was the centre created?")[1] == (
        "why and how was the centre created?"
    )


def test_a_part_may_start_with_a_preposition_but_not_inside_a_quoted_title():
    assert split_parts("Quand l'AP-HP a-t-elle créé son hub, et avec qui a-t-il lancé un label ?") == [
        "Quand l'AP-HP a-t-elle créé son hub",
        "avec qui a-t-il lancé un label ?",
    ]
    assert split_parts("Which company built it, and in which year did it open?")[1] == "in which year did it open?"
    assert split_parts("Quel budget en 2020, et d’après quel rapport officiel ?")[1].startswith("d’après quel")
    title = "Que propose la note « IA et emploi : quoi de neuf docteur ? » et quel organisme l'a publiée ?"
    assert split_parts(title) == [
        "Que propose la note « IA et emploi : quoi de neuf docteur ? »",
        "quel organisme l'a publiée ?",
    ]


def test_a_part_may_start_with_a_compound_preposition_or_ask_yes_or_no():
    assert split_parts("Quel budget pour le plan, et à partir de quelle date s'applique-t-il ?")[1] == (
        "à partir de quelle date s'applique-t-il ?"
    )
    assert split_parts("Quand le comité siège-t-il, et lors de quel conseil le bilan fut-il présenté ?")[1] == (
        "lors de quel conseil le bilan fut-il présenté ?"
    )
    assert split_parts("Quel budget a la mission en 2022, et où son siège se trouve-t-il installé ?")[1] == (
        "où son siège se trouve-t-il installé ?"
    )
    # a clause whose verb comes before its pronoun asks yes or no
    assert split_parts("Combien d'avis le comité a-t-il rendus, et l'agence dispose-t-elle d'un service dédié ?") == [
        "Combien d'avis le comité a-t-il rendus",
        "l'agence dispose-t-elle d'un service dédié ?",
    ]
    # not an inversion inside one part, nor a list of things
    assert len(split_parts("Quels droits la loi et le règlement encadrent-ils ?")) == 1
    assert len(split_parts("Quel budget et combien de collaborateurs le groupe a-t-il alloués ?")) == 1


def test_subject_of_a_count():
    assert subject("Combien de startups d'IA en santé la cartographie recense-t-elle ?") == "startups"
    assert subject("How many patients' medical records did the partnership cover?") == "patients' medical records"
    assert subject("Quel est le budget ?") == ""
    assert subject("Combien d'experts ont été interrogés ?") == "experts"  # not the verb's auxiliaries
    assert subject("Combien de salariés compte sa filiale en France ?") == "salariés compte"  # not its determiner
    assert subject("How many employees do these companies have?") == "employees"


def test_a_part_that_counts_without_saying_what_counts_what_the_part_before_counts():
    q = profile("Combien d'experts pour l'étude sur l'IA, et combien pour celle sur les dispositifs médicaux ?")
    assert [p.subject for p in q.parts] == ["experts", "experts"]
    q = profile("Combien d'experts pour l'étude sur l'IA, et quel budget pour celle sur les dispositifs médicaux ?")
    assert [p.subject for p in q.parts] == ["experts", ""]


def test_a_part_is_searched_with_what_it_counts_when_the_part_before_says_it():
    from docqa.retrieval import searched_text

    q = profile("Combien d'experts pour l'étude sur l'IA, et combien pour celle sur les dispositifs médicaux ?")
    assert [searched_text(p) for p in q.parts] == [
        "Combien d'experts pour l'étude sur l'IA",
        "combien pour celle sur les dispositifs médicaux ? experts IA",  # and what it names (`carried_over`)
    ]
    assert searched_text(q) == q.text


def test_a_part_that_names_nothing_names_what_the_part_before_names():
    from docqa.retrieval import searched_text

    q = profile("Combien de jours dure le cours Foo de l'école Bar, et quel en était le prix en 2019 ?")
    assert [p.entities for p in q.parts] == [("foo", "bar"), ("foo", "bar")]
    assert searched_text(q.parts[1]) == "quel en était le prix en 2019 ? foo bar"
    q = profile("Combien de jours dure le cours Foo, et quel était le prix du cours Baz ?")
    assert [p.entities for p in q.parts] == [("foo",), ("baz",)]  # a part with names of its own keeps them


def test_profile_is_frozen():
    with pytest.raises(AttributeError):
        profile("Combien ?").language = "en"


def test_a_stray_straight_quote_does_not_swallow_the_question():
    text = (
        'Combien de mesures propose le "Think Tank Économie Santé dans sa recommandation annuelle de 2024, et quelle '
        'part des hôpitaux utilisent l’IA selon le "rapport" de la DGE ?'
    )
    assert len(split_parts(text)) == 2


def test_a_long_quoted_title_is_not_split_at_its_question_mark():
    title = "« Quel avenir pour le médecin généraliste face à l’intelligence artificielle et aux outils numériques ? »"
    assert len(title) > 80 and split_parts(f"Qui signe la contribution {title} ?") == [
        f"Qui signe la contribution {title} ?"
    ]


def test_what_a_count_question_counts_in_its_own_words():
    assert profile("Combien de signalements la plateforme a-t-elle reçus ?").counted_words == {"signal"}
    assert profile("Quel est le budget du Health Data Hub ?").counted_words == frozenset()
    parts = profile("Combien d'entreprises ont été identifiées, et combien d'entre elles sont à Paris ?").parts
    assert parts[0].counted_words and not parts[1].counted_words  # "d'entre elles": a pronoun
    assert profile("How many of these startups raised funds?").counted_words == {"startup"}
    parts = profile("Combien d'experts pour l'étude sur l'IA, et combien pour l'étude sur les SMT ?").parts
    assert parts[1].subject == "experts" and not parts[1].counted_words  # it takes them from the part before


def test_a_french_elision_typed_without_its_apostrophe_gets_it_back():
    question = profile("Combien d emplois d ici 2025 ?")  # as typed in a shell's single quotes
    assert question.text == "Combien d'emplois d'ici 2025 ?"
    assert (question.subject, question.time_frame) == ("emplois", ("2025",))
    assert profile("Qu est-ce que l IA ?").text == "Qu'est-ce que l'IA ?"
    assert profile("Quels rôles jouent les acteurs c et d ?").text.endswith("c et d ?")  # letters, not elisions
    for letters in ("la vitamine D en 2020", "l'hépatite C est-elle", "les lymphocytes T interviennent"):
        assert profile(f"Que dit le rapport sur {letters} ?").text == f"Que dit le rapport sur {letters} ?"
    assert profile("D où viennent les données d aujourd hui ?").text == "D'où viennent les données d'aujourd'hui ?"
    assert profile("What is l IA in d English?").text == "What is l IA in d English?"  # French only
    epic = "Combien d’hôpitaux utilisent Epic’s electronic record ?"
    assert profile(epic).text == epic  # after an apostrophe, a letter is not an elision


@pytest.mark.parametrize("typed", ["WHAT IS THE HEALTH DATA HUB?", "What Is The Health Data Hub?"])
def test_a_question_whose_case_says_nothing_is_read_in_lower_case(typed):
    question = profile(typed)  # in capitals, every word would be a name the cited pages must write ("WHAT")
    assert question.text == "what is the health data hub?" and question.entities == ()
    assert question.answer_type == "definition" and question.language == "en"
    assert profile("COMBIEN D'EMPLOIS D'ICI 2025 ?").answer_type == "count"
    assert profile("Que signifie TCAM ?").entities == ("TCAM",)  # a name among plain words keeps its case
    assert profile("What Is The CNIL?").entities == ("CNIL",)  # an acronym of a title-cased question too


def test_an_ordinal_in_roman_numerals_is_no_name():
    assert profile("Quels facteurs expliquent l'engouement pour l'IA depuis la fin du XXe siècle ?").entities == ("IA",)
    assert profile("Que dit le rapport sur Louis XIV et le CIV ?").entities == ("louis", "XIV", "CIV")


def test_an_english_month_or_day_is_no_name():
    question = profile("Which company did Dassault Systèmes announce it would acquire in June 2019, on a Monday?")
    assert question.entities == ("dassault", "systemes")
