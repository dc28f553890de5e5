import pytest

from docqa.question import profile
from docqa.values import find_values, is_unit


@pytest.mark.parametrize(
    ("kind", "text", "found"),
    [
        ("count", "Début 2020, 97 startups et 18 multinationales, soit 15 %.", ["97 startups", "18 multinationales"]),
        ("count", "environ 5 000 emplois directement liés", ["5 000 emplois"]),
        ("count", "PariSanté Campus, lancé le 4 décembre 2020", []),  # a date is not a count
        ("count", "# 17 : Mettre en place ; Etude de cas #3 ; 28 953 patientes", ["28 953 patientes"]),
        ("count", "une vingtaine d’écoles et des centaines de projets", ["une vingtaine d’écoles", "des centaines"]),
        # the noun after an adjective that goes before it; alone, the adjective is what is counted
        (
            "count",
            "Ces 377 nouveaux emplois et 3 grands groupes ; two new sites; 5 nouvelles.",
            ["377 nouveaux emplois", "3 grands groupes", "two new sites", "5 nouvelles"],
        ),
        # what an order of magnitude counts ("millions d'euros" is an amount)
        (
            "count",
            "près de 1,6 million de patients, 2,8 millions d’inscrits et 35 millions d’euros ; 3 millions.",
            ["1,6 million de patients", "2,8 millions d’inscrits", "3 millions"],
        ),
        (
            "amount",
            "un budget de 9,7 M€ en 2020, puis 30 Md€ et 35 millions d’euros",
            ["9,7 M€", "30 Md€", "35 millions d’euros"],
        ),
        ("percentage", "une croissance de 36 % par an, 1,4% des deals", ["36 %", "1,4%"]),
        ("date", "Mis à jour le 01/03/2023, créée le 25 mars 2020", ["01/03/2023", "25 mars 2020"]),
        ("duration", "après seulement 8 heures d’existence", ["8 heures"]),
    ],
)
def test_values_of_each_kind(kind, text, found):
    assert [v.text for v in find_values(kind, text)] == found


def test_approximations_and_the_question_s_own_numbers():
    assert find_values("count", "environ 5 000 emplois")[0].approximation == "environ"
    question = profile("Sur les 78 applications, combien ont été évaluées ?")
    assert [v.text for v in find_values("count", "Sur les 78 apps, seules 7 ont été évaluées", question)] == ["7 ont"]


def test_a_number_that_is_part_of_a_name_is_not_a_count():
    assert find_values("count", "le Master 1 & Master 2, ouverts à tous, et Paris 13.") == []
    counted = find_values("count", "Environ 5 000 emplois, soit 35 personnes par site ; il y en a 12.")
    assert [v.text for v in counted] == ["5 000 emplois", "35 personnes", "12"]
    # a sentence's first word is no name: "Environ 300." and "Soit 12." are counts
    assert [v.text for v in find_values("count", "Environ 300. Soit 12.")] == ["300", "12"]


def test_a_ratio_or_a_slide_s_place_is_not_a_count():
    assert find_values("count", "Estimation optimiste des besoins (2/4)") == []
    assert [v.text for v in find_values("count", "dans 3/4 des cas, soit 12 hôpitaux")] == ["12 hôpitaux"]
    # not a shorter number either ("12" of "12 000 / 15 000", "12" of "12,5/20")
    assert [v.text for v in find_values("count", "12 000 / 15 000 répondants")] == ["15 000 répondants"]
    assert find_values("count", "une note de 12,5/20") == []


def test_what_a_count_counts_is_its_noun_not_an_adjective_before_it():
    assert find_values("count", "377 nouveaux emplois")[0].counted == {"emploi"}


def test_a_unit_is_not_a_thing_counted():
    assert is_unit("millions d'euros") and is_unit("jours") and is_unit("pourcents") and is_unit("fois plus")
    assert not is_unit("startups") and not is_unit("personnes interrogées")


def test_a_share_said_in_words_is_a_percentage():
    text = "La moitié des SMT, deux tiers des startups, un médecin sur trois ; half of them, one doctor in five."
    found = [v.text for v in find_values("percentage", text)]
    assert found == ["La moitié", "deux tiers", "un médecin sur trois", "half", "one doctor in five"]


def test_a_duration_in_words_or_in_the_singular_is_a_duration():
    text = "Validé pour trois ans, renouvelé un an plus tard, après 18 mois de travaux et one week of tests."
    assert [v.text for v in find_values("duration", text)] == ["trois ans", "un an", "18 mois", "one week"]
    assert find_values("count", text) == []  # "trois ans" counts no years
    assert [v.text for v in find_values("duration", "dans les 5 prochaines années")] == ["5 prochaines années"]


def test_a_count_grouped_by_thousands_is_no_year():
    text = "En 2020, 2 000 personnes ont répondu, contre 1 950 en 2019."
    assert [v.text for v in find_values("count", text)] == ["2 000 personnes", "1 950"]


@pytest.mark.parametrize(
    "kind, text, found",
    [
        ("percentage", "Un zoom sur trois startups", []),  # a noun after the number: no share
        ("percentage", "UN CLINICIEN SUR DEUX DANS LE MONDE", ["UN CLINICIEN SUR DEUX"]),
        ("percentage", "Un sur deux est convaincu", ["Un sur deux"]),
        ("percentage", "one in three hospitals uses it", ["one in three"]),  # in English, the noun is the share's
        ("percentage", "des données confiées à un tiers de confiance", []),
        ("percentage", "un quart d’heure", []),
        ("percentage", "a half-day workshop in the first half of 2020", []),
        ("duration", "dix-huit mois", []),  # not "huit mois"
        ("duration", "Un jour, l’IA remplacera le tri", []),  # someday
        ("duration", "un an plus tard", ["un an"]),
        ("duration", "après un an et demi, puis deux ans et demi", ["un an et demi", "deux ans et demi"]),
    ],
)
def test_what_is_not_a_share_nor_a_duration(kind, text, found):
    assert [v.text for v in find_values(kind, text)] == found
