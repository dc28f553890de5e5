from docqa.schema import Page
from docqa.text import split_sentences
from ingest.chunking import chunk_id, chunk_pages

TEXT = (
    "L’étude recense 97 startups. Début 2020, on dénombrait 18 multinationales. "
    "Le Dr. Martin cite M. Dupont, etc. et conclut.\n• Agenda\n• Résumé"
)


def test_sentences_split_on_punctuation_and_lines_not_abbreviations():
    sentences = [TEXT[s:e] for s, e in split_sentences(TEXT)]
    assert sentences == [
        "L’étude recense 97 startups.",
        "Début 2020, on dénombrait 18 multinationales.",
        "Le Dr. Martin cite M. Dupont, etc. et conclut.",
        "• Agenda",
        "• Résumé",
    ]


def test_chunks_respect_size_sentences_and_pages():
    sentence = "Les données de santé sont un enjeu majeur pour la recherche. "
    pages = [Page(doc_id="d", page=1, text=sentence * 30), Page(doc_id="d", page=2, text="Page deux.")]
    chunks = list(chunk_pages(pages, size=300, overlap=80))
    assert {c.page for c in chunks} == {1, 2}
    for c in chunks:
        page_text = pages[c.page - 1].text
        assert page_text[c.start : c.end] == c.text  # offsets index the page text
        assert len(c.text) <= 300
        assert c.text.endswith(".")  # whole sentences
    first, second = chunks[0], chunks[1]
    assert second.start < first.end  # overlap
    assert first.end - second.start <= 80


def test_long_sentence_is_cut_at_words():
    text = " ".join(["mot"] * 400)
    chunks = list(chunk_pages([Page(doc_id="d", page=None, text=text)], size=200, overlap=0))
    assert all(len(c.text) <= 200 and not c.text.startswith(" ") for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == text.replace(" ", "")


def test_chunk_ids_are_deterministic_and_content_based():
    pages = [Page(doc_id="d", page=1, text=TEXT)]
    first = [c.id for c in chunk_pages(pages, 100, 20)]
    assert first == [c.id for c in chunk_pages(pages, 100, 20)]
    assert len(set(first)) == len(first)
    assert chunk_id("d", 1, 0, "a") != chunk_id("d", 2, 0, "a") != chunk_id("e", 1, 0, "a")


def test_two_versions_of_a_document_share_no_chunk_id():
    page = [Page(doc_id="d", page=1, text="Une phrase identique dans les deux versions du document.")]
    first, second = next(chunk_pages(page, 200, 40, version="v1")), next(chunk_pages(page, 200, 40, version="v2"))
    assert first.text == second.text and first.id != second.id
