import json
from collections import Counter
from dataclasses import replace

from docqa.naming import designations, distinctive_names, name_documents, ordinary_words, unknown_names
from docqa.qa import QA
from docqa.question import profile
from docqa.retrieval import expand
from docqa.schema import DocumentInfo
from docqa.settings import Settings
from docqa.text import tokenize
from ingest.pipeline import ingest

DOCUMENTS = [
    DocumentInfo(doc_id="study-a", title="Les robots dans les hôpitaux", publisher="Cabinet Orion"),
    DocumentInfo(doc_id="study-b", title="Les solutions connectées (SCX)", publisher="Cabinet Orion"),
    DocumentInfo(doc_id="note", title="IA et hôpital", publisher="Fondation Vega"),
    DocumentInfo(doc_id="page", title="IA et santé", publisher="Direction du numérique (DNX)"),
]
CHUNKS = Counter({"study-a": 100, "study-b": 100, "note": 10, "page": 10})
# in how many chunks each document writes each word: "IA" everywhere; "vega" only where the others cite the note
USES = {
    "study-a": Counter({"ia": 60, "orion": 40, "vega": 2}),
    "study-b": Counter({"ia": 30, "orion": 30, "scx": 50}),
    "note": Counter({"ia": 9}),
    "page": Counter({"ia": 5, "dnx": 3}),
}


def names(topic_share: float = 0.1) -> dict[str, frozenset[str]]:
    return designations(DOCUMENTS, USES, CHUNKS, topic_share)


def test_a_publisher_or_title_word_designates_its_documents():
    found = names()
    assert found["orion"] == {"study-a", "study-b"} and found["scx"] == {"study-b"}
    assert found["vega"] == {"note"}  # cited twice by another document: still the note's name
    assert found["dnx"] == {"page"}


def test_a_word_of_the_topic_names_nothing():
    found = names()
    assert "ia" not in found  # in two titles, but in 60 % of another document's chunks
    assert "les" not in found and "hopitaux" in found  # a stopword is not a word; a title word is
    assert "ia" in names(topic_share=0.9)  # the share is the setting `topic_word_share`


def test_ordinary_words_are_title_words_and_words_of_the_topic():
    ordinary = ordinary_words(DOCUMENTS, USES, CHUNKS, 0.1)
    assert {"orion", "scx", "vega", "ia", "robots"} <= ordinary  # titles and publishers; "ia": in 104 of 220 chunks
    assert "dnx" in ordinary and "capteurs" not in ordinary
    assert "orion" not in ordinary_words([], USES, CHUNKS, 0.5)  # in 70 of 220 chunks: under half of them


def test_distinctive_names_designate_a_particular_thing():
    ordinary = ordinary_words(DOCUMENTS, USES, CHUNKS, 0.1)
    known = {"samsung", "allemagne", "CNIL", "APHP"}.__contains__

    def distinctive(text: str) -> list[str]:
        return [name for name, _ in distinctive_names(profile(text), ordinary, known)]

    assert distinctive("Selon le cabinet Orion, combien de robots Samsung a livrés en Allemagne à la CNIL ?") == [
        "samsung",
        "allemagne",
        "CNIL",
    ]
    assert distinctive("Quel budget l'AP-HP consacre-t-elle aux robots ?") == ["APHP"]  # "AP-HP" is one name
    # a name the corpus never writes is not looked for on the cited pages (it is an unknown name: `unknown_names`)
    assert distinctive("Combien de robots vend le géant de Redmond ?") == []
    # a two-letter acronym ("DM") is often spelled out by the text; a piece of a longer word is no name
    assert [n for n, _ in distinctive_names(profile("Quel DM a lancé le 39BIS aux Pays-Bas ?"), ordinary, bool)] == []


def test_unknown_names_are_the_names_of_a_french_question_no_document_writes():
    ordinary = ordinary_words(DOCUMENTS, USES, CHUNKS, 0.1)
    known = {"samsung", "EOLE", "VAL"}.__contains__

    def unknown(text: str) -> tuple[str, ...]:
        return unknown_names(profile(text), ordinary, known)

    assert unknown("Combien de brevets Samsung a-t-il déposés à Leverkusen ?") == ("leverkusen",)
    assert unknown("Combien de patients l'étude EOLE-VAL a-t-elle suivis ?") == ()  # written in known pieces
    assert unknown("Combien de patients l'étude EOLE-NUT a-t-elle suivis ?") == ("EOLENUT",)
    assert unknown("Quel DM a lancé le 39BIS aux Pays-Bas ?") == ()  # as `distinctive_names`: no names here
    english = profile("How many patents did Samsung file in Leverkusen and in Germany?")
    assert unknown_names(english, ordinary, known) == ("leverkusen", "germany")
    translated = replace(english, concepts=(("germany", "allemagn"),))  # the corpus writes "Allemagne"
    assert unknown_names(translated, ordinary, known) == ("leverkusen",)


def test_an_english_name_the_corpus_does_not_write_is_checked_through_its_translation():
    question = replace(
        profile("How many robots in Germany and in Samsung's plants?"), concepts=(("germany", "allemagn"),)
    )
    found = distinctive_names(question, frozenset(), {"samsung"}.__contains__)
    assert found == (("germany", ("allemagn",)), ("samsung", ()))


def test_named_documents_weigh_distinct_designations():
    q = name_documents(profile("Selon le cabinet Orion, que dit l'étude SCX des capteurs ?"), names())
    assert q.documents == {"study-b": 1.0, "study-a": 0.5}
    assert name_documents(profile("Combien de robots en 2020 ?"), names()).documents == {}


def test_a_word_of_another_name_designates_no_document():
    ordinary = ordinary_words(DOCUMENTS, USES, CHUNKS, 0.1)
    known = {"fondation", "vega", "lumen", "robots", "paper"}.__contains__  # the corpus writes "la Fondation Lumen" too
    ask = "Combien de robots la Fondation {} finance-t-elle ?"
    assert name_documents(profile(ask.format("Lumen")), names(), ordinary, known).documents == {}
    assert name_documents(profile(ask.format("Vega")), names(), ordinary, known).documents == {"note": 1.0}
    # an English question capitalises the nouns after a name, whether the corpus writes them or not
    for noun in ("Report", "Paper"):
        q = profile(f"What does the Fondation Vega {noun} say about robots?")
        assert name_documents(q, names(), ordinary, known).documents == {"note": 1.0}


def test_each_part_of_a_question_names_its_own_documents(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    entries = []
    for doc_id, publisher in (("note", "Fondation Vega"), ("page", "Direction du numérique (DNX)")):
        (corpus / f"{doc_id}.txt").write_text(f"Les robots. {publisher} finance des robots.", encoding="utf-8")
        entries.append({"doc_id": doc_id, "file": f"{doc_id}.txt", "title": doc_id, "publisher": publisher})
    (corpus / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    qa = QA(settings)
    assert ingest([corpus], qa.index, settings).ok
    read = qa.retriever.read_names
    q = read(profile("Que propose la Fondation Vega pour les robots, et combien coûte le plan de la DNX ?"))
    assert [p.documents for p in q.parts] == [{"note": 1.0}, {"page": 1.0}]
    q = read(profile("Que propose la Fondation Vega, et combien de robots sont déployés ?"))
    assert [p.documents for p in q.parts] == [{"note": 1.0}, {"note": 1.0}]  # naming nothing: `carried_over`


def test_a_question_naming_a_document_is_also_searched_within_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    texts = {
        "bilan": "Le bilan régional. Douze projets de télémédecine ont été financés en 2022 dans les zones rurales.",
        "note": "La note. Des projets de télémédecine ont été financés, surtout dans les villes.",
    }
    for name, text in texts.items():
        (corpus / f"{name}.txt").write_text(text, encoding="utf-8")
    entries = [
        {"doc_id": "bilan", "file": "bilan.txt", "title": "Bilan régional", "publisher": "Cabinet Orion"},
        {"doc_id": "note", "file": "note.txt", "title": "Note", "publisher": "Fondation Vega"},
    ]
    (corpus / "manifest.json").write_text(json.dumps({"documents": entries}), encoding="utf-8")
    question = "Selon la Fondation Vega, combien de projets de télémédecine ont été financés dans les zones rurales ?"
    lead = {}  # how far the named document's passage leads the other one in the fused ranking
    for weight in (0.0, 1.0):
        settings = Settings(data_dir=tmp_path / "data", named_document_weight=weight)
        qa = QA(settings)
        assert ingest([corpus], qa.index, settings).ok
        q = name_documents(expand(profile(question), qa.index), qa.index.designations())
        assert q.documents == {"note": 1.0}
        scores = {hit.doc_id: hit.score for hit in qa.retriever.candidates(q, qa.retriever.embed(q.text), 2)}
        lead[weight] = scores["note"] - scores.get("bilan", 0.0)
        qa.index.close()
    assert lead[1.0] > max(lead[0.0], 0.0)  # the search limited to the named document puts its passage first


def test_an_english_question_keeps_the_stems_of_its_accented_names(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("a", "b"):  # the corpus vocabulary holds words of at least two chunks
        (corpus / f"{name}.txt").write_text(f"PariSanté Campus réunit des chercheurs ({name}).", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    qa = QA(settings)
    assert ingest([corpus], qa.index, settings).ok
    concepts = expand(profile("What is PariSanté Campus?"), qa.index).concept_tokens
    assert any(tokenize("PariSanté")[0] in concept for concept in concepts)  # as the lexical index stemmed it
    assert all(idf > 0 for idf in qa.index.idf([c[0] for c in concepts]))  # so no word counts as unknown
    qa.index.close()


def test_a_hyphenated_word_also_matches_the_word_the_corpus_writes_without_hyphens(tmp_path):
    from tests.corpora import indexed_engine

    text = "L’APHP a créé en 2018 son centre d’innovation, avec les startups de la région."
    qa = indexed_engine(tmp_path, {"hub.txt": text})
    question = expand(profile("Quand l’AP-HP a-t-elle créé son centre ?"), qa.index)
    assert ("ap", "aphp") in question.concept_tokens and ("hp", "aphp") in question.concept_tokens
    assert ("cre",) in question.concept_tokens  # the other words as they were
    assert expand(profile("la e-santé ?"), qa.index).concept_tokens == (("e",), ("sant",))  # "esanté": unwritten
    qa.index.settings = qa.settings.model_copy(update={"join_hyphens": False})
    assert ("ap",) in expand(profile("Quand l’AP-HP a-t-elle créé son centre ?"), qa.index).concept_tokens
    qa.index.close()


def test_an_english_place_name_is_read_by_its_french_name_when_the_corpus_writes_it(tmp_path):
    from docqa.retrieval import with_place_names
    from tests.corpora import indexed_engine

    text = "En Allemagne, douze écoles forment à l’IA en santé depuis avril 2019."
    qa = indexed_engine(tmp_path, {"a.txt": text, "b.txt": text.replace("douze", "treize")})
    asked = profile("How many schools in Germany, and since when in Spain?")
    germany = next(c for c in with_place_names(expand(asked, qa.index), qa.index).concept_tokens if c[0] == "germany")
    assert tokenize("Allemagne")[0] in germany  # CLDR's French name, which the corpus writes
    question = qa.retriever.read_names(asked)
    assert question.distinctive == (("germany", tuple(tokenize("Allemagne"))),)  # checked on the cited pages
    assert question.unknown == ("spain",)  # "Espagne" is not written: nothing to answer about Spain with
    assert question.concept_tokens == expand(asked, qa.index).concept_tokens  # searched as before
