"""The indexed PDFs that `docqa web` serves beside the chat (app/web.py), so that a citation opens its file at
its page: a document is found by its id in the index, never by a path from the request, and only a PDF still
on disk is served (an unknown id, another type, a deleted document: 404)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from docqa import get_qa
from docqa.errors import DocqaError
from docqa.schema import DocumentInfo
from docqa.settings import Settings, get_settings
from ingest.uploads import is_upload, upload_path

PATH = "/documents/{doc_id}.pdf"


def pdf_file(document: DocumentInfo | None, settings: Settings) -> Path | None:
    """The file of an indexed `document` when it is a PDF on disk (from corpus/, or an upload: in this data
    folder's uploads, wherever the folder was when it was uploaded), else None."""
    if document is None or not document.source:
        return None
    path = upload_path(document, settings) if is_upload(document, settings) else Path(document.source)
    return path if path.suffix.lower() == ".pdf" and path.is_file() else None


def pdf_url(doc_id: str, page: int) -> str:
    """Where the document's PDF is served, opened at `page` (`#page=N`, read by the browsers' PDF viewers)."""
    return PATH.replace("{doc_id}", quote(doc_id, safe="")) + f"#page={page}"


def document_pdf(request: Request) -> Response:
    """The PDF of the indexed document `doc_id`, as the chat's engine lists it (the index is fresh across
    processes: an upload or a deletion elsewhere is seen)."""
    doc_id, settings = request.path_params["doc_id"], get_settings()
    try:
        documents = get_qa(settings).index.documents()
    except DocqaError as exc:
        return JSONResponse({"error": str(exc)}, status_code=503)
    path = pdf_file(next((d for d in documents if d.doc_id == doc_id), None), settings)
    if path is None:
        return JSONResponse({"error": f"no indexed PDF document {doc_id!r}"}, status_code=404)
    return FileResponse(
        path,
        headers={"x-content-type-options": "nosniff"},
        media_type="application/pdf",
        filename=f"{doc_id}.pdf",
        content_disposition_type="inline",
    )


ROUTE = Route(PATH, document_pdf, methods=["GET"])
