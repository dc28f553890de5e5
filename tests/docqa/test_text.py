from docqa.text import detect_language, normalize_numbers, one_line, terms, tokenize, word_stems


def test_french_analyser_handles_elisions_accents_plurals_and_stopwords():
    assert tokenize("L’étude d’AEC") == tokenize("etude AEC")
    assert tokenize("les emplois") == tokenize("emploi")
    assert tokenize("Données") == tokenize("donnée")
    assert "le" not in terms("le rapport et la note")


def test_numbers_ignore_thousands_separators():
    assert normalize_numbers("5 000 et 5\u202f000 et 5.000 mais 2025") == "5000 et 5000 et 5000 mais 2025"
    assert "5000" in tokenize("environ 5 000 emplois")
    assert "9,7" in tokenize("9,7 M€")


def test_detects_english_questions():
    assert detect_language("What average annual growth rate did AEC assume?") == "en"
    assert detect_language("Combien de startups la cartographie recense-t-elle ?") == "fr"
    assert detect_language("Health Data Hub") == "fr"


def test_word_stems_stem_each_word_as_written_and_fold_it_for_the_vocabulary():
    assert word_stems("PariSanté Campus") == [("parisante", tokenize("PariSanté")[0]), ("campus", "campu")]
    assert tokenize("PariSanté") != tokenize("parisante")  # why the stem is not taken from the folded word


def test_one_line_shows_what_a_title_says():
    spoofed = "Zorglub\x00\x00 rapport\u202e🤖 intelli\u00adgence\x0bfin\n suite"  # NUL, RTL override, soft hyphen, \v
    assert one_line(spoofed) == "Zorglub rapport🤖 intelligence fin suite"
    assert one_line("👩\u200d⚕️ soignante") == "👩\u200d⚕️ soignante"  # an emoji sequence keeps its joiner
