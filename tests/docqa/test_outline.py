from docqa.answering.outline import numbered_runs

PAGE_1 = (
    "Le plan en bref.\n"
    "1. FORMER LES SOIGNANTS au numérique\n"
    "Les soignants suivront un module chaque année, dans leur région.\n"
    "Trois freins :\n"
    "1) le coût ;\n"
    "2) le temps ;\n"
    "3) la confiance.\n"
)
PAGE_2 = (
    "12 Rapport annuel\n"  # a page number: no item
    "2. OUVRIR LES DONNÉES DE SANTÉ, ET LES OUTILS ET LES\n"
    "PLATEFORMES aux chercheurs\n"
    "Le texte de la section reprend ici.\n"
    "3. Financer\n"
    "4. Évaluer chaque projet financé par un comité indépendant réunissant des soignants et des patients "
    "et des chercheurs, chaque année, selon une grille commune publiée à l’avance\n"
)


def texts(runs):
    return [[item.text for item in run] for run in runs]


def test_runs_are_numbered_from_one_without_a_gap_across_pages_each_style_apart():
    runs = numbered_runs([(1, PAGE_1), (2, PAGE_2)], max_words=14)
    assert [[item.page for item in run] for run in runs] == [[1, 2, 2, 2], [1, 1, 1]]
    headings, freins = texts(runs)
    assert freins == ["le coût ;", "le temps ;", "la confiance."]
    assert [item.number for item in runs[1]] == [1, 2, 3]
    assert headings[0] == "FORMER LES SOIGNANTS au numérique"  # its line only: body text follows
    # a heading in capitals cut by a line break goes on to the next line
    assert headings[1] == "OUVRIR LES DONNÉES DE SANTÉ, ET LES OUTILS ET LES\nPLATEFORMES aux chercheurs"
    assert headings[2] == "Financer"  # the next line is an item
    assert headings[3].endswith("et des patients") and len(headings[3].split()) == 14  # cut


def test_items_are_verbatim_at_their_offsets_and_a_one_restarts_a_run():
    pages = [(None, "1. Alpha\n2. Beta\n1. Gamma\n3. Stray\n2. Delta\n")]
    runs = numbered_runs(pages, max_words=25)
    assert texts(runs) == [["Alpha", "Beta"], ["Gamma", "Delta"]]
    for item in (i for run in runs for i in run):
        assert pages[0][1][item.start : item.end] == item.text
    assert numbered_runs([(None, "1. Seul\nRien d'autre.")], 25) == []  # one item is no run
