from ingest.clean import clean_text


def test_reflows_lines_cut_inside_sentences():
    raw = "Par la suite, le\n\nchapitre résume la stratégie de\nFrance Digitale et des\n\n100 startups.\n"
    assert clean_text(raw) == "Par la suite, le chapitre résume la stratégie de France Digitale et des 100 startups."


def test_keeps_bullets_headings_and_sentence_ends_on_their_lines():
    raw = "Agenda\n• Résumé et synthèse\n• Définition de l’IA\nFin de phrase.\nNouvelle phrase"
    assert clean_text(raw).split("\n") == [
        "Agenda",
        "• Résumé et synthèse",
        "• Définition de l’IA",
        "Fin de phrase.",
        "Nouvelle phrase",
    ]


def test_normalises_unicode_and_spaces():
    assert clean_text("5\u202f000\u00a0emplois\u200b  en\tFrance") == "5 000 emplois en France"
    assert clean_text("e\u0301tude") == "étude"  # NFC
    assert clean_text("médico-\nadministratives") == "médico-administratives"


def test_joins_a_list_number_alone_on_its_line_with_its_item():
    assert (
        clean_text("Les enjeux :\n1.\nAccès aux données\n2.\nFormation")
        == "Les enjeux :\n1. Accès aux données\n2. Formation"
    )
