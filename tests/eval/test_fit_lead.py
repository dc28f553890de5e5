from eval.fit_lead import states_fact


def test_a_value_states_a_fact_by_its_text_or_by_its_first_number():
    assert states_fact("97 startups", ["97 startups | 97 PME"])
    assert states_fact("6 %", ["2 à 6 %"])
    assert states_fact("9,7 M€", ["9.7 million | 9,7 M€"])
    assert not states_fact("150", ["1 200"]) and not states_fact("deux ans", ["6 mois"])
