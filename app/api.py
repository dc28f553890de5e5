"""HTTP API (FastAPI): search, ask (JSON or server-sent events), documents, health, and an OpenAI-compatible
chat endpoint. Run with `docqa serve` (binds 127.0.0.1 by default); OpenAPI docs at /docs."""

import contextlib
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from docqa.answering.generative import GenerativeAnswerer
from docqa.errors import DocqaError, IndexMissingError, IndexStorageError, UnknownDocumentError
from docqa.qa import MAX_QUESTION_CHARS, QA
from docqa.retrieval import Evidence
from docqa.schema import DocumentInfo, Hit
from docqa.settings import get_settings
from ingest.loaders import SUPPORTED_SUFFIXES
from ingest.pipeline import ingest

MAX_UPLOAD_BYTES = 20 * 2**20


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(5, ge=1, le=50)
    docs: list[str] | None = None


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int | None = Field(None, ge=1, le=50)
    docs: list[str] | None = None
    stream: bool = False


class ChatMessage(BaseModel):
    role: str
    content: str = Field(max_length=MAX_QUESTION_CHARS)


class ChatRequest(BaseModel):
    model: str = "docqa"
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)


class Error(BaseModel):
    error: str


def create_app(qa_factory: Callable[[], QA] | None = None) -> FastAPI:
    """The API over one engine (built on first use by `qa_factory`, default from the settings)."""
    settings = get_settings()
    app = FastAPI(title="docqa", version="0.1.0", description="Cited answers about the reports in the index.")
    engine: dict[str, QA] = {}
    # the engine's work is CPU-bound (numpy): more threads than cores only thrash; queue the rest
    slots = threading.BoundedSemaphore(os.cpu_count() or 2)

    def qa() -> QA:
        if "qa" not in engine:
            engine["qa"] = (qa_factory or (lambda: QA(settings)))()
        return engine["qa"]

    bearer = HTTPBearer(auto_error=False)

    def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        expected = settings.api_key.get_secret_value() if settings.api_key else None
        if expected and (credentials is None or not secrets.compare_digest(credentials.credentials, expected)):
            raise HTTPException(401, "missing or wrong API key (Authorization: Bearer ...)")

    auth = [Depends(authorised)]

    @app.exception_handler(DocqaError)
    async def docqa_error(request: Request, exc: DocqaError) -> JSONResponse:
        if isinstance(exc, IndexMissingError | IndexStorageError):
            status = 503
        else:
            status = 404 if isinstance(exc, UnknownDocumentError) else 400
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": f"invalid request: {problems}"}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": f"internal error ({type(exc).__name__})"}, status_code=500)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness, and what is indexed."""
        engine_ = qa()
        return {"status": "ok", "chunks": engine_.index.count(), "embedding_model": engine_.index.model}

    @app.post("/search", dependencies=auth, responses={400: {"model": Error}})
    def search(request: SearchRequest) -> list[Hit]:
        """The passages most relevant to a query."""
        with slots:
            return qa().search(request.query, k=request.k, docs=request.docs)

    @app.post("/ask", dependencies=auth, responses={400: {"model": Error}, 503: {"model": Error}})
    def ask(request: AskRequest) -> Any:
        """A cited answer; with `"stream": true`, server-sent events: `token` pieces then the `answer`."""
        if not request.stream:
            with slots:
                return qa().ask(request.question, k=request.k, docs=request.docs).public()
        with slots:  # errors before the stream starts
            evidence = qa().retrieve(request.question, k=request.k, docs=request.docs)
        return StreamingResponse(events(qa(), evidence), media_type="text/event-stream")

    @app.get("/documents", dependencies=auth)
    def documents() -> list[DocumentInfo]:
        """The indexed documents."""
        return qa().index.documents()

    @app.post(
        "/documents",
        dependencies=auth,
        status_code=201,
        responses={code: {"model": Error} for code in (413, 415, 422, 503, 507)},
    )
    def add_document(file: Annotated[UploadFile, File()]) -> DocumentInfo:
        """Upload a PDF, HTML, TXT or Markdown file and index it."""
        name = safe_name(file.filename or "")
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise HTTPException(
                415, f"unsupported file type '{Path(name).suffix}' (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            )
        data = file.file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"file too large (more than {MAX_UPLOAD_BYTES // 2**20} MB)")
        engine_ = qa()
        path = engine_.settings.data_dir / "uploads" / name
        # the new bytes go beside; the file of an already indexed document is kept until they are indexed
        incoming = path.with_name(f".{name}.{uuid.uuid4().hex}.part")
        previous = path.with_name(f".{name}.{uuid.uuid4().hex}.previous")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            incoming.write_bytes(data)
            if path.exists():
                path.replace(previous)
            incoming.replace(path)
        except OSError as exc:  # full disk, read-only folder
            with contextlib.suppress(OSError):
                incoming.unlink(missing_ok=True)
                if previous.exists():
                    previous.replace(path)
            raise HTTPException(507, f"cannot store {name} under {path.parent}: {exc.strerror}") from None

        def undo() -> None:
            with contextlib.suppress(OSError):
                if previous.exists():
                    previous.replace(path)
                else:
                    path.unlink(missing_ok=True)

        try:
            report = ingest([path], engine_.index, engine_.settings, prune=False)
        except DocqaError:
            undo()
            raise
        if report.skipped:
            undo()
            raise HTTPException(422, f"{name}: {report.skipped[0].reason}")
        with contextlib.suppress(OSError):
            previous.unlink(missing_ok=True)
        doc_id = (report.indexed or report.unchanged)[0]
        return next(d for d in engine_.index.documents() if d.doc_id == doc_id)

    @app.delete("/documents/{doc_id}", dependencies=auth, responses={404: {"model": Error}})
    def delete_document(doc_id: str) -> dict[str, Any]:
        """Remove a document's passages from the index."""
        removed = qa().index.delete_document(doc_id)
        if not removed:
            raise HTTPException(404, f"unknown document {doc_id!r}")
        return {"doc_id": doc_id, "removed_chunks": removed}

    @app.post("/v1/chat/completions", dependencies=auth)
    def chat_completions(request: ChatRequest) -> dict[str, Any]:
        """OpenAI-compatible: answers the last user message; citations in the text and in `citations`."""
        question = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        with slots:
            answer = qa().ask(question)
        sources = "\n".join(f"[{c.n}] {c.title}, {c.location}" for c in answer.citations)
        content = answer.answer + (f"\n\nSources :\n{sources}" if sources else "")
        return {
            "id": f"docqa-{int(time.time() * 1000)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": answer.public()["citations"],
        }

    return app


def events(qa: QA, evidence: Evidence) -> Iterator[str]:
    """Server-sent events: `token` pieces of the answer, then the whole `answer` as JSON."""
    if isinstance(qa.answerer, GenerativeAnswerer):
        stream = qa.answerer.stream(evidence)
        for piece in stream:
            yield f"event: token\ndata: {json.dumps(piece, ensure_ascii=False)}\n\n"
        answer = stream.answer
    else:
        answer = qa.answerer.answer(evidence)
        for word in re.split(r"(?<=\s)", answer.answer):
            yield f"event: token\ndata: {json.dumps(word, ensure_ascii=False)}\n\n"
    yield f"event: answer\ndata: {json.dumps(answer.public(), ensure_ascii=False)}\n\n"


def safe_name(filename: str) -> str:
    """A file name without directories or odd characters ("../../x.pdf" -> "x.pdf")."""
    name = re.sub(r"[^\w.\- ]", "_", Path(filename.replace("\\", "/")).name).lstrip(".")
    return name or "document"


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="info")
