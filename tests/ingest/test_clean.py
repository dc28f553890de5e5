from docqa.settings import Settings
from ingest.clean import clean_text, full_line_width


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
    assert clean_text("le Centre Georges-\n\nFrançois Leclerc") == "le Centre Georges-François Leclerc"
    assert clean_text("Acteurs -\nStartups") == "Acteurs -\nStartups"  # a dash, not a cut word


def test_joins_a_list_number_alone_on_its_line_with_its_item():
    assert (
        clean_text("Les enjeux :\n1.\nAccès aux données\n2.\nFormation")
        == "Les enjeux :\n1. Accès aux données\n2. Formation"
    )


def test_prose_wrapped_at_a_width_goes_on_after_a_full_line():
    settings = Settings()
    prose = ["Dans son rapport rendu public en janvier 2024, Jérôme", "Marchand-Arvier insiste sur le choix de la"] * 15
    width = full_line_width(["\n".join(prose)], settings)
    assert width is not None
    assert clean_text("rendu public en janvier 2024, la page Jérôme\nMarchand-Arvier insiste", width) == (
        "rendu public en janvier 2024, la page Jérôme Marchand-Arvier insiste"
    )
    assert clean_text("Court\nTitre", width) == "Court\nTitre"  # a short line is not full
    assert clean_text("rendu public en janvier 2024, la page 2024 vue\n• Item", width).count("\n") == 1


def test_slides_have_no_line_width():
    slides = ["Agenda", "Les 97 startups de l’IA en santé recensées en France en 2020 par AEC", "12", "Nantes"] * 10
    assert full_line_width(["\n".join(slides)], Settings()) is None
