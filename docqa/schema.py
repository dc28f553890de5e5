"""One typed object per stage: Page (loader) -> Chunk (chunker) -> Hit (retriever) -> Citation/Answer."""

from __future__ import annotations

from pathlib import PureWindowsPath

from pydantic import BaseModel, Field


class Page(BaseModel):
    """Text of one page of a document as a loader read it. `page` is None when the format has no pages."""

    doc_id: str
    page: int | None
    text: str
    ocr: bool = False  # the text was read from the page's image by OCR


class Chunk(BaseModel):
    """A passage of one page; `start`/`end` are character offsets into that page's cleaned text."""

    id: str
    doc_id: str
    page: int | None
    start: int
    end: int
    text: str
    section: str = ""  # the heading the chunk falls under (where documents without pages say it)
    ocr: bool = False  # its page's text was read by OCR


class DocumentInfo(BaseModel):
    """What the index knows of one document."""

    doc_id: str
    title: str
    publisher: str = ""
    year: int | None = None
    language: str = "fr"
    url: str = ""
    source: str = ""  # the file's absolute path
    content_hash: str = ""
    pages: int = 0
    chunks: int = 0

    def public(self) -> DocumentInfo:
        """The document as the API and MCP clients see it: its file by name, not by the server's path."""
        return self.model_copy(update={"source": PureWindowsPath(self.source).name})  # "/" and "\\" both cut


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
    ocr: bool = False


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
    ocr: bool = False

    @property
    def location(self) -> str:
        """Where the quote is: "p. 12" ("p. 12 (OCR)" when read by OCR), or "§ <heading>" without pages."""
        return location(self.page, self.section, self.ocr)


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
    ocr: bool = False


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


def location(page: int | None, section: str, ocr: bool = False) -> str:
    """ "p. 12", "§ Mesure 2 — ..." (no page), or "—" when neither is known; " (OCR)" follows text read by OCR."""
    where = f"p. {page}" if page is not None else f"§ {section}" if section else "—"
    return f"{where} (OCR)" if ocr else where
