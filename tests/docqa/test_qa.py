"""The answer chain end to end on a generated multi-page PDF, with the real default embedder."""

from pathlib import Path

import pytest

from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.question import profile
from docqa.settings import Settings
from ingest.pipeline import ingest
from tests.corpora import indexed_engine
from tests.pdfs import make_pdf

REPO = Path(__file__).resolve().parents[2]

PAGES = [
    "Rapport sur l’IA en santé. Ce document présente le contexte général de l’étude.",
    "Le Health Data Hub a été créé pour faciliter l’accès aux données de santé. Son budget s’élevait à 9,7 M€ en 2020.",
    "Dans le scénario de référence, environ 5 000 emplois liés à l’IA devraient être créés d’ici 2025. "
    "Les métiers de la donnée sont les plus recherchés.",
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    root = tmp_path_factory.mktemp("qa")
    corpus = root / "corpus"
    corpus.mkdir()
    make_pdf(corpus / "rapport.pdf", PAGES)
    (corpus / "autre.txt").write_text("Les startups de la healthtech lèvent des fonds.", encoding="utf-8")
    survey = "Au total, 1 200 personnes ont répondu à l’enquête.\n\n" + "Le questionnaire portait sur l’IA. " * 10
    (corpus / "enquete.txt").write_text(survey + "\n\nLes personnes interrogées travaillent à l’hôpital.", "utf-8")
    settings = Settings(data_dir=root / "data", chunk_size=300, chunk_overlap=50)
    engine = QA(settings)
    assert ingest([corpus], engine.index, settings).ok
    return engine


def test_answer_cites_the_right_page_of_the_pdf(qa):
    answer = qa.ask("Combien d'emplois liés à l'IA devraient être créés d'ici 2025 ?")
    assert not answer.abstained
    assert "5 000" in answer.answer and "[1]" in answer.answer
    assert answer.answer.startswith("Environ 5 000 emplois d'ici 2025 [1]")  # the direct answer first
    first = answer.citations[0]
    assert (first.doc_id, first.page) == ("rapport", 3)
    assert first.quote in first.passage and "5 000" in first.quote
    assert set(answer.timings) == {"retrieve_ms", "answer_ms", "total_ms"}


def test_every_answer_sentence_is_a_cited_quote(qa):
    answer = qa.ask("Quel était le budget du Health Data Hub en 2020 ?")
    assert "9,7 M€" in answer.answer
    assert answer.citations[0].page == 2
    for citation in answer.citations:
        for quote in citation.quote.split(" … "):
            assert quote.lstrip("•- ") in answer.answer


def test_abstains_when_the_documents_do_not_say(qa):
    answer = qa.ask("Quel est le prix moyen d'un appartement à Lyon en 2023 ?")
    assert answer.abstained and answer.citations == []
    assert "ne permettent pas" in answer.answer
    english = qa.ask("What is the average price of a flat in Lyon in 2023?")
    assert english.abstained and english.language == "en" and "do not" in english.answer


def test_a_count_of_something_else_does_not_answer(qa):
    answer = qa.ask("Combien de signalements sur l'IA sont attendus d'ici 2025 ?")  # the passage counts jobs
    assert answer.abstained and answer.notes == ["les citations ne nomment pas signalements"]
    assert "1 200" in qa.ask("Combien de personnes ont répondu à l'enquête ?").answer


def test_what_a_question_counts_is_read_with_the_corpus_words_near_it(qa):
    counted = qa.retriever.read_names(profile("Combien d'individus ont répondu ?")).counted
    assert {"individu", "person"} <= counted
    assert qa.retriever.read_names(profile("Quel budget pour le Hub ?")).counted == frozenset()
    assert qa.retriever.read_names(profile("Combien de millions d'euros pour le Hub ?")).counted == frozenset()


def test_the_names_no_document_writes_are_read_by_their_stems(qa):
    def unknown(text: str) -> tuple[str, ...]:
        return qa.retriever.read_names(profile(text)).unknown

    assert unknown("Combien d'emplois la Healthtech créera-t-elle à Leverkusen ?") == ("leverkusen",)
    assert unknown("Quel budget pour la Startup ?") == ()  # the corpus writes it in the plural
    assert unknown("Quel budget pour le Données Hub ?") == ()  # "données" is written there, accented
    assert qa.index.knows_stem("Startup") and qa.index.knows_stem("données") and not qa.index.knows_stem("Lyon")


def test_filter_by_document(qa):
    hits = qa.search("startups", k=3, docs=["autre"])
    assert hits and {h.doc_id for h in hits} == {"autre"}
    with pytest.raises(DocqaError, match="unknown document.*nope"):
        qa.search("startups", docs=["nope"])


@pytest.mark.parametrize("question, k", [("", None), ("x" * 3000, None), ("budget", 0), ("budget", 99)])
def test_bad_input_is_a_clear_error(qa, question, k):
    with pytest.raises(DocqaError):
        qa.ask(question, k=k)


def test_chain_and_retriever_are_langchain_runnables(qa):
    assert "5 000" in qa.chain().invoke("Combien d'emplois liés à l'IA devraient être créés d'ici 2025 ?").answer
    documents = qa.retriever.invoke("Health Data Hub")
    assert documents[0].metadata["doc_id"] == "rapport" and documents[0].metadata["page"] == 2


def test_a_short_document_beside_long_reports_is_on_the_documents_subject(tmp_path):
    """Its one chunk among the nearest chunks of the reports would put a question about it off the subject of the
    documents (`Index.corpus_similarity`)."""
    reports = {
        name: (REPO / "corpus" / name).read_bytes()
        for name in ("ia-emploi-sante-note.txt", "dge-ia-service-sante.html")
    }
    upload = (  # the two reports have 10 and 16 chunks; this one, one
        "# L'Observatoire Kerbala\n\nL'Observatoire Kerbala a été créé en 2021 à Rennes. "
        "Il a été fondé par Jeanne Morvan, ancienne directrice des systèmes d'information du CHU."
    )
    engine = indexed_engine(tmp_path, {**reports, "observatoire.md": upload})
    answer = engine.ask("Qui a fondé l'Observatoire Kerbala ?")
    assert "Jeanne Morvan" in answer.answer and answer.citations[0].doc_id == "observatoire"
    assert engine.ask("Quelle est la recette de la tarte tatin ?").abstained
