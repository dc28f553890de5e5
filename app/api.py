"""HTTP API (FastAPI): search, ask (JSON or server-sent events), documents, health, and an OpenAI-compatible
chat endpoint. Run with `docqa serve` (binds 127.0.0.1 by default); OpenAPI docs at /docs."""

import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import anyio
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field, field_validator, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import error_response
from app.guard import DOCS_ASSETS, PUBLIC, Guard
from app.serving import TrailingSlash, WorkerHeader
from docqa import get_qa
from docqa.answering.generative import GenerativeAnswerer
from docqa.conversation import Turn, standalone_question, words
from docqa.errors import (
    MAX_QUESTION_CHARS,
    DocqaError,
    DocumentExistsError,
    FileTooLargeError,
    IndexMissingError,
    IndexStorageError,
    LoaderError,
    UnknownDocumentError,
    UnsupportedFileError,
    UploadStorageError,
)
from docqa.qa import QA, timings
from docqa.retrieval import Evidence
from docqa.schema import Answer, DocumentInfo, Hit
from docqa.settings import get_settings
from ingest.uploads import add_file, reconcile, remove

log = logging.getLogger("docqa.api")
MAX_MESSAGES = 1000  # per conversation
MAX_MESSAGE_CHARS = 200_000  # a system prompt can be long; the question asked is held to MAX_QUESTION_CHARS
MODEL = "docqa"  # the one model /v1/models lists
FIELD = re.compile(r"(?!(?:str|int|float|bool|list|dict|none)$)[a-z_][a-z0-9_]*")  # a field, not a type's name


class ContentPart(BaseModel, extra="allow"):
    """One part of a message's content: only text parts are read."""

    type: str
    text: str = ""

    @model_validator(mode="after")
    def _text_only(self) -> "ContentPart":
        if self.type != "text":
            raise ValueError(f"only text content parts are supported, got {self.type!r}")
        return self


class ChatMessage(BaseModel):
    """An OpenAI chat message; system, developer and tool messages are accepted and not searched."""

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content)
        return self.content or ""

    @field_validator("content")
    @classmethod
    def _bounded(cls, content: str | list[ContentPart] | None) -> str | list[ContentPart] | None:
        size = len(content) if isinstance(content, str) else sum(len(p.text) for p in content or [])
        if size > MAX_MESSAGE_CHARS:
            raise ValueError(f"a message is at most {MAX_MESSAGE_CHARS} characters, got {size}")
        return content


def problem(error: dict[str, Any]) -> str:
    """One validation error of a request, said for its sender: where (the fields, not pydantic's names of the types
    it tried) and what."""
    where = ".".join(str(p) for p in error["loc"][1:] if isinstance(p, int) or FIELD.fullmatch(str(p)))
    if error["type"] == "json_invalid":
        return f"the body is not valid JSON (at character {error['loc'][-1]}: {error.get('ctx', {}).get('error')})"
    if not where and error["type"] in ("model_attributes_type", "dict_type"):
        return "the body must be a JSON object, sent with Content-Type: application/json"
    if where == "file":
        return "file: send the document as the multipart field `file`, with its file name"
    return f"{where or 'body'}: {error['msg'].removeprefix('Value error, ')}"


def turns(messages: list[ChatMessage]) -> list[Turn]:
    """The user and assistant messages as conversation turns."""
    return [Turn(m.role, m.text) for m in messages if m.role in ("user", "assistant")]


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(5, ge=1, le=50, strict=True)  # "3" or true is a mistake, not 3 or 1
    docs: list[str] | None = None
    history: list[ChatMessage] = Field(default_factory=list, max_length=MAX_MESSAGES)


class SearchResponse(BaseModel):
    """The passages, best first, as `docqa search --json` prints them and the MCP tool `search` returns them."""

    hits: list[Hit]


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int | None = Field(None, ge=1, le=50, strict=True)
    docs: list[str] | None = None
    stream: bool = False
    history: list[ChatMessage] = Field(default_factory=list, max_length=MAX_MESSAGES)


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatRequest(BaseModel):
    """OpenAI's chat completion request; its other fields (temperature, max_tokens...) are ignored, and any model
    name is answered by docqa (clients that cannot be told a model name send their own)."""

    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Choices to return: docqa gives one answer.")


class Error(BaseModel):
    error: str


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str


class OpenAIError(BaseModel):
    """The errors of the /v1/ routes, in OpenAI's shape."""

    error: OpenAIErrorDetail


# the HTTP status of each error a user can cause (the first class that matches; other DocqaErrors: 400)
STATUS: list[tuple[type[DocqaError], int]] = [
    (IndexMissingError, 503),
    (IndexStorageError, 503),
    (UnknownDocumentError, 404),
    (DocumentExistsError, 409),
    (FileTooLargeError, 413),
    (UnsupportedFileError, 415),
    (LoaderError, 422),
    (UploadStorageError, 507),
]


def create_app(qa_factory: Callable[[], QA] | None = None, host: str | None = None, preload: bool = False) -> FastAPI:
    """The API over one engine (built on first use by `qa_factory`, default from the settings; with `preload`,
    before the first request is accepted). `host`: the address it is served on (a loopback one: only loopback
    `Host` headers are answered)."""
    settings = get_settings()
    # uploads and deletions take turns on a thread of their own: while one indexes a long file, the others wait
    # without holding a thread of the pool that answers the questions
    writer = anyio.CapacityLimiter(1)
    engine: dict[str, QA] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if preload:
            try:
                await run_in_threadpool(qa)
            except DocqaError as exc:  # e.g. an unusable data folder: each request will say so (503)
                log.error("%s", exc)
        yield

    app = FastAPIOffline(  # the docs pages with their scripts served here, not from a CDN: docqa runs offline
        static_url=DOCS_ASSETS.rstrip("/"),
        title="docqa",
        version="0.1.0",
        description="Cited answers about the reports in the index.",
        lifespan=lifespan,
        redirect_slashes=False,  # `TrailingSlash` serves `/x/` as `/x`: a redirect back to `/x/` would loop
    )
    app.add_middleware(Guard, settings=settings, host=host)
    app.add_middleware(WorkerHeader)
    app.add_middleware(TrailingSlash)  # outermost: the guard sees the path that is routed
    # the engine's work is CPU-bound (numpy): more threads than cores, counting every worker's, only thrash;
    # queue the rest
    slots = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) // settings.serve_workers))

    def qa() -> QA:
        if "qa" not in engine:
            engine_ = (qa_factory or get_qa)()
            for repair in reconcile(engine_.index, engine_.settings):  # what a killed upload left
                log.warning("uploads: %s", repair)
            engine["qa"] = engine_
        return engine["qa"]

    @app.exception_handler(DocqaError)
    async def docqa_error(request: Request, exc: DocqaError) -> JSONResponse:
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        return error(request, str(exc), status)

    @app.exception_handler(StarletteHTTPException)  # also unknown routes (404) and wrong methods (405)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(request.url.path, str(exc.detail), exc.status_code, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(dict.fromkeys(problem(e) for e in exc.errors()))
        return error(request, f"invalid request: {problems}", 422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return error(request, f"internal error ({type(exc).__name__})", 500)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness, and what is indexed."""
        engine_ = qa()
        return {"status": "ok", "chunks": engine_.index.count(), "embedding_model": engine_.index.model}

    @app.post("/search", responses={400: {"model": Error}})
    def search(request: SearchRequest) -> SearchResponse:
        """The passages most relevant to a query; with `history` (the previous messages), a short follow-up is
        searched together with the previous question, as `/ask` does."""
        query = standalone_question([*turns(request.history), Turn("user", request.query)])
        with slots:
            return SearchResponse(hits=qa().search(query, k=request.k, docs=request.docs))

    @app.post("/ask", responses={400: {"model": Error}, 503: {"model": Error}})
    def ask(request: AskRequest) -> Any:
        """A cited answer; with `"stream": true`, server-sent events: `token` pieces then the `answer`. With
        `history` (the previous messages), a short follow-up is asked together with the previous question."""
        question = standalone_question([*turns(request.history), Turn("user", request.question)])
        if not request.stream:
            with slots:
                return qa().ask(question, k=request.k, docs=request.docs).public()
        with slots:
            started = time.perf_counter()
            evidence = qa().retrieve(question, k=request.k, docs=request.docs)  # errors before the stream starts
        stream = events(qa(), evidence, started, time.perf_counter())
        return StreamingResponse(stream, media_type="text/event-stream")

    @app.get("/documents")
    def documents() -> list[DocumentInfo]:
        """The indexed documents."""
        return [document.public() for document in qa().index.documents()]

    @app.post(
        "/documents",
        status_code=201,
        responses={code: {"model": Error} for code in (409, 413, 415, 422, 503, 507)},
    )
    async def add_document(
        file: Annotated[UploadFile, File()], title: Annotated[str, Form()] = "", replace: bool = False
    ) -> DocumentInfo:
        """Upload a PDF, Word (.docx), PowerPoint (.pptx), HTML, TXT or Markdown file and index it, under `title`
        (default: the file's own, from its metadata or first heading). A file named like an indexed document is
        refused (409) unless `replace=true` and that document was uploaded: corpus documents change only by
        `docqa ingest`."""

        def store() -> DocumentInfo:
            data = file.file.read(int(settings.max_file_mb * 2**20) + 1)  # one byte more tells a file too large
            engine_ = qa()
            added = add_file(file.filename or "", data, engine_.index, engine_.settings, replace=replace, title=title)
            return added.public()

        return await anyio.to_thread.run_sync(store, limiter=writer)

    @app.delete("/documents/{doc_id}", responses={404: {"model": Error}, 409: {"model": Error}})
    async def delete_document(doc_id: str) -> dict[str, Any]:
        """Remove an uploaded document's passages from the index, and its file; a corpus document is refused
        (409): it changes only by `docqa ingest`."""

        def delete() -> int:
            engine_ = qa()
            return remove(doc_id, engine_.index, engine_.settings)

        removed = await anyio.to_thread.run_sync(delete, limiter=writer)
        if not removed:
            raise HTTPException(404, f"unknown document {doc_id!r}")
        return {"doc_id": doc_id, "removed_chunks": removed}

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        """OpenAI-compatible: the one model, `docqa`."""
        return {"object": "list", "data": [model_card()]}

    @app.get("/v1/models/{model_id}", responses={404: {"model": OpenAIError}})
    def model(model_id: str) -> dict[str, Any]:
        """OpenAI-compatible: the model `docqa`."""
        if model_id != MODEL:
            raise HTTPException(404, f"unknown model {model_id!r} (the model is {MODEL!r})")
        return model_card()

    @app.post(
        "/v1/chat/completions",
        responses={code: {"model": OpenAIError} for code in (400, 422, 503)},
    )
    def chat_completions(request: ChatRequest) -> Any:
        """OpenAI-compatible: answers the last user message (a short follow-up together with the previous
        question); citations in the text and in `citations`. With `"stream": true`, `chat.completion.chunk`
        server-sent events, then `data: [DONE]`."""
        question = standalone_question(turns(request.messages))
        completion = Completion(request, prompt_tokens=sum(words(m.text) for m in request.messages))
        if not request.stream:
            with slots:
                return completion.whole(qa().ask(question))
        with slots:
            evidence = qa().retrieve(question)  # errors before the stream starts
        return StreamingResponse(completion.chunks(answer_pieces(qa(), evidence)), media_type="text/event-stream")

    app.openapi = lambda: app.openapi_schema or openapi(app, bearer=settings.api_key is not None)
    return app


def error(request: Request, message: str, status: int) -> JSONResponse:
    return error_response(request.url.path, message, status)


def openapi(app: FastAPI, bearer: bool) -> dict[str, Any]:
    """The OpenAPI schema, declaring bearer auth on every route but the public ones when a key is set."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    if bearer:
        schema.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                if path not in PUBLIC:
                    operation["security"] = [{"bearer": []}]
    app.openapi_schema = schema
    return schema


def answer_pieces(qa: QA, evidence: Evidence) -> Iterator[str | Answer]:
    """The answer as it is written: text pieces (the LLM's tokens, or the extractive answer's words), then
    the whole `Answer`."""
    if isinstance(qa.answerer, GenerativeAnswerer):
        stream = qa.answerer.stream(evidence)
        yield from stream
        yield stream.answer
    else:
        answer = qa.answerer.answer(evidence)
        yield from re.split(r"(?<=\s)", answer.answer)
        yield answer


def events(qa: QA, evidence: Evidence, started: float, retrieved: float) -> Iterator[str]:
    """Server-sent events: `token` pieces of the answer, then the whole `answer` as JSON (with its timings: its
    retrieval ran from `started` to `retrieved`)."""
    for piece in answer_pieces(qa, evidence):
        if isinstance(piece, Answer):
            piece.timings = timings(started, retrieved, time.perf_counter())
            yield f"event: answer\ndata: {json.dumps(piece.public(), ensure_ascii=False)}\n\n"
        elif piece:
            yield f"event: token\ndata: {json.dumps(piece, ensure_ascii=False)}\n\n"


def model_card() -> dict[str, Any]:
    return {"id": MODEL, "object": "model", "created": 0, "owned_by": "docqa"}


def sources(answer: Answer) -> str:
    """The citations as the end of a chat message ("Sources :" then "[n] title, p. page" or "§ section")."""
    lines = "\n".join(f"[{c.n}] {c.title}, {c.location}" for c in answer.citations)
    return f"\n\nSources :\n{lines}" if lines else ""


class Completion:
    """One OpenAI chat completion, whole (`chat.completion`) or streamed (`chat.completion.chunk` events)."""

    def __init__(self, request: ChatRequest, prompt_tokens: int):
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.request = request
        self.prompt_tokens = prompt_tokens

    def usage(self, content: str) -> dict[str, int]:
        """Rough token counts: words."""
        completion = words(content)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }

    def _base(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.request.model}

    def whole(self, answer: Answer) -> dict[str, Any]:
        content = answer.answer + sources(answer)
        return {
            **self._base("chat.completion"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": self.usage(content),
            "citations": answer.public()["citations"],
        }

    def chunks(self, pieces: Iterator[str | Answer]) -> Iterator[str]:
        """`data: {chunk}` events: the role, the answer's pieces, its sources, the stop (with the citations),
        the usage when asked (`stream_options.include_usage`), then `data: [DONE]`."""

        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            chunk = {**self._base("chat.completion.chunk"), "choices": [], **extra}
            chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        yield event({"role": "assistant", "content": ""})
        content = ""
        for piece in pieces:
            if isinstance(piece, Answer):
                # an LLM draft that failed the checks cannot be taken back: the checked answer follows it
                tail = ("" if piece.answer.strip() == content.strip() else f"\n\n{piece.answer}") + sources(piece)
                if tail:
                    content += tail
                    yield event({"content": tail})
                yield event({}, "stop", citations=piece.public()["citations"])
            elif piece:
                content += piece
                yield event({"content": piece})
        if self.request.stream_options and self.request.stream_options.include_usage:
            usage = {**self._base("chat.completion.chunk"), "choices": [], "usage": self.usage(content)}
            yield f"data: {json.dumps(usage, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"


def served_app() -> FastAPI:
    """The app of one `docqa serve` worker process (uvicorn's factory): its engine loaded before it accepts."""
    return create_app(host=get_settings().serve_host, preload=True)
