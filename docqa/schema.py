"""One typed object per stage: Page (loader) -> Chunk (chunker) -> Hit (retriever) -> Citation/Answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Page(BaseModel):
    """Text of one page of a document as a loader read it. `page` is None when the format has no pages."""

    doc_id: str
    page: int | None
    text: str


class Chunk(BaseModel):
    """A passage of one page; `start`/`end` are character offsets into that page's cleaned text."""

    id: str
    doc_id: str
    page: int | None
    start: int
    end: int
    text: str
    section: str = ""  # the heading the chunk falls under (where documents without pages say it)


class DocumentInfo(BaseModel):
    """What the index knows of one document."""

    doc_id: str
    title: str
    publisher: str = ""
    year: int | None = None
    language: str = "fr"
    url: str = ""
    source: str = ""
    content_hash: str = ""
    pages: int = 0
    chunks: int = 0


class Hit(BaseModel):
    """A retrieved passage with its fused relevance score."""

    chunk_id: str
    doc_id: str
    title: str
    page: int | None
    start: int
    end: int
    text: str
    score: float
    section: str = ""


class Citation(BaseModel):
    """Citation `[n]` of an answer: the passage it rests on and the quoted sentence(s)."""

    n: int
    doc_id: str
    title: str
    page: int | None
    quote: str
    score: float
    chunk_id: str
    passage: str = ""
    section: str = ""

    @property
    def location(self) -> str:
        """Where the quote is: "p. 12", or "§ <heading>" for a document without pages."""
        return location(self.page, self.section)


class Answer(BaseModel):
    """A cited answer, or an abstention when the reports do not say."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = Field(default_factory=list)
    hits: list[Hit] = Field(default_factory=list, exclude=True)
    language: str = "fr"
    answerer: str = "extractive"
    timings: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)  # what the user should know (e.g. the LLM was unreachable)

    def public(self) -> dict:
        """What the faces return (CLI `--json`, HTTP API, MCP): citations without their whole passage."""
        return PublicAnswer.model_validate(self, from_attributes=True).model_dump()


class PublicCitation(BaseModel):
    """A citation as the faces return it (without its whole passage)."""

    n: int
    doc_id: str
    title: str
    page: int | None
    quote: str
    score: float
    section: str = ""


class PublicAnswer(BaseModel):
    """An answer as the faces return it (`Answer.public()`); MCP's `ask` declares it as its output schema."""

    question: str
    answer: str
    abstained: bool
    language: str
    answerer: str
    timings: dict[str, float]
    notes: list[str]
    citations: list[PublicCitation]


def location(page: int | None, section: str) -> str:
    """ "p. 12", "§ Mesure 2 — ..." (no page), or "—" when neither is known."""
    if page is not None:
        return f"p. {page}"
    return f"§ {section}" if section else "—"
