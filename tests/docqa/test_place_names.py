from docqa.place_names import calendar_words, french_names


def test_an_english_place_or_language_name_gets_its_french_name():
    text = "What budget did South Korea's plan have in April, and how many German doctors work in the United Kingdom?"
    names = {"south", "korea", "april", "german", "united", "kingdom"}  # (a month is no name: not translated)
    assert french_names(text, names) == {
        "south": "Corée du Sud",  # the longest name written wins: not "South" alone
        "korea": "Corée du Sud",
        "united": "Royaume-Uni",
        "kingdom": "Royaume-Uni",
        "german": "allemand",
    }


def test_only_the_question_s_names_are_translated():
    assert french_names("How many cyberattacks hit hospitals in Spain?", {"spain"}) == {"spain": "Espagne"}
    assert french_names("What does the Lyon hospital plan?", {"lyon"}) == {}  # not a name CLDR knows
    assert french_names("Who will chair the committee in May?", set()) == {}  # "may" is not asked as a name


def test_the_english_months_and_days_are_calendar_words():
    assert {"april", "june", "monday"} <= calendar_words() and "germany" not in calendar_words()
