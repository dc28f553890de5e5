"""Uploaded files, the one way the API and the chat add a document: stored under `data/uploads/` (folder 0700,
files 0600), indexed, replacing a document only when asked and only one that was uploaded, removed with their
document, and reconciled with the index after a crash.

An upload holds a lock on the folder (`data/uploads.lock`, released by the system if the process dies) from the
first byte written to the index's last change, so that uploads, deletions and `reconcile` of every process
sharing the data folder follow each other.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from docqa.errors import DocumentExistsError, LoaderError, UploadStorageError
from docqa.private import private_folder
from docqa.schema import DocumentInfo
from docqa.settings import Settings
from docqa.store import Index
from docqa.store.lock import FolderLock
from docqa.text import one_line
from ingest.loaders import check_type
from ingest.pipeline import MANIFEST, Progress, check_size, content_hash, ingest, read_manifest

MAX_NAME_BYTES = 120  # a stored name; with the temporary `.NAME.previous` it stays under the 255 bytes of a file name
MAX_TITLE_CHARS = 120


UPLOADS = "uploads"  # the data folder's folder of uploaded files


def uploads_dir(settings: Settings) -> Path:
    return (settings.data_dir / UPLOADS).resolve()


def safe_name(filename: str) -> str:
    """A file name without directories or odd characters ("../../x.pdf" -> "x.pdf"), its stem shortened to fit
    MAX_NAME_BYTES in UTF-8 (the suffix kept)."""
    name = re.sub(r"[^\w.\- ]", "_", Path(filename.replace("\\", "/")).name).lstrip(".") or "document"
    stem, suffix = os.path.splitext(name)
    room = max(MAX_NAME_BYTES - len(suffix.encode()), 0)
    stem = stem.encode()[:room].decode(errors="ignore").strip() or "document"
    return stem + suffix


def is_upload(document: DocumentInfo, settings: Settings) -> bool:
    """Whether `document` was added by an upload, not by `docqa ingest`: its file is in the uploads folder, found
    by name (a data folder moved elsewhere keeps its uploads)."""
    recorded, folder = Path(document.source), uploads_dir(settings)
    here = recorded.parent.resolve() == folder or (folder / recorded.name).is_file()
    return recorded.parent.name == UPLOADS and here


def upload_path(document: DocumentInfo, settings: Settings) -> Path:
    """The file of an uploaded document, in this data folder's uploads folder whatever path it was read at."""
    return uploads_dir(settings) / Path(document.source).name


def add_file(
    filename: str,
    data: bytes,
    index: Index,
    settings: Settings,
    replace: bool = False,
    progress: Progress | None = None,
    title: str = "",
) -> DocumentInfo:
    """Store the uploaded `data` under a safe version of `filename` and index it; returns the document.

    `title` (at most 120 characters) is kept in the uploads folder's manifest, so that re-indexing keeps it;
    without one, the document takes the file's own title (its metadata, else its first heading).

    A file named like an indexed document (same stem: `x.md` is document `x` like `x.txt`) is refused with
    `DocumentExistsError`, unless `replace` is given and that document was uploaded: corpus documents change
    only through `docqa ingest`. Raises `UnsupportedFileError`, `FileTooLargeError`, `LoaderError` (the file
    cannot be read: nothing is kept) or `UploadStorageError`; the index is then as it was.
    """
    name = safe_name(filename)
    folder = uploads_dir(settings)
    path = folder / name
    check_type(path)
    check_size(path, len(data), settings)
    with _locked(folder):
        existing = next((d for d in index.documents() if d.doc_id == path.stem), None)
        if existing is not None and not is_upload(existing, settings):
            raise DocumentExistsError(
                f"{name}: the corpus document {existing.doc_id!r} has this name; corpus documents are changed "
                "only by `docqa ingest`: rename the file"
            )
        if existing is not None and not replace:
            raise DocumentExistsError(
                f"{name}: the document {existing.doc_id!r} already exists; to replace it, upload it with replace=true"
            )
        incoming, previous = _part(path), _previous(path)
        titles = read_manifest(folder)
        try:
            _write_titles(folder, _titled(titles, name, title, existing))
            _write_private(incoming, data)
            if path.exists():
                path.replace(previous)
            incoming.replace(path)
        except OSError as exc:  # full disk, read-only folder: the indexed file stays as it was
            with suppress(OSError):
                _write_titles(folder, titles)
            with suppress(OSError):
                incoming.unlink(missing_ok=True)
            with suppress(OSError):
                if previous.exists():
                    previous.replace(path)
            raise UploadStorageError(f"cannot store {name} under {folder}: {exc.strerror}") from None
        try:
            report = ingest([path], index, settings, progress=progress, prune=False)
        except BaseException:
            _undo(path, previous, titles)
            raise
        if report.skipped:
            _undo(path, previous, titles)
            raise LoaderError(path, report.skipped[0].reason)
        previous.unlink(missing_ok=True)
        if existing is not None and upload_path(existing, settings) != path:  # x.md replaced x.txt
            upload_path(existing, settings).unlink(missing_ok=True)
    return next(d for d in index.documents() if d.doc_id == path.stem)


def remove(doc_id: str, index: Index, settings: Settings) -> int:
    """Remove an uploaded document from the index, and its file; returns the chunks removed (0: no such
    document). A corpus document is refused with `DocumentExistsError`: it changes only by `docqa ingest`."""
    document = next((d for d in index.documents() if d.doc_id == doc_id), None)
    if document is None:
        return 0
    if not is_upload(document, settings):
        raise DocumentExistsError(
            f"{doc_id!r} is a corpus document: corpus documents are changed only by `docqa ingest` (remove its file "
            "from the corpus folder, then run it)"
        )
    with _locked(uploads_dir(settings)):
        removed = index.delete_document(doc_id)
        upload_path(document, settings).unlink(missing_ok=True)
        titles = read_manifest(uploads_dir(settings))
        if titles.pop(Path(document.source).name, None):
            _write_titles(uploads_dir(settings), titles)
    return removed


def reconcile(index: Index, settings: Settings) -> list[str]:
    """Make the uploads folder and the index agree after a process died during an upload: an interrupted
    replacement is undone (the previous file restored and indexed again), a file that was never completely
    indexed is removed with what the index holds of it, temporary files are removed. Returns one line per
    repair."""
    folder = uploads_dir(settings)
    if not folder.is_dir():
        return []
    repairs: list[str] = []
    with _locked(folder):
        uploaded = {upload_path(d, settings): d for d in index.documents() if is_upload(d, settings)}
        for previous in folder.glob(".*.previous"):
            path = folder / previous.name[1 : -len(".previous")]
            document = uploaded.get(path)
            entry = read_manifest(folder).get(path.name)
            if document and path.exists() and document.content_hash == content_hash(path, settings, entry):
                previous.unlink()  # the new version was completely indexed
                continue
            previous.replace(path)
            report = ingest([path], index, settings, prune=False)
            if report.skipped:
                path.unlink()
            repairs.append(f"{path.name}: interrupted replacement undone")
        for part in folder.glob(".*.part"):
            part.unlink()
            repairs.append(f"{part.name}: interrupted upload removed")
        uploaded = {upload_path(d, settings): d for d in index.documents() if is_upload(d, settings)}
        for path in sorted(p for p in folder.iterdir() if p.is_file() and p.name[0] != "." and p.name != MANIFEST):
            document = uploaded.get(path)
            if document is None or not document.content_hash:
                if document is not None:
                    index.delete_document(document.doc_id)
                path.unlink()
                repairs.append(f"{path.name}: upload never completely indexed, removed")
    return repairs


def _part(path: Path) -> Path:
    return path.with_name(f".{path.name}.part")


def _previous(path: Path) -> Path:
    return path.with_name(f".{path.name}.previous")


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _undo(path: Path, previous: Path, titles: dict[str, dict]) -> None:
    """Put back the file that an upload moved aside, or remove the new one, and the titles as they were."""
    with suppress(OSError):
        if previous.exists():
            previous.replace(path)
        else:
            path.unlink(missing_ok=True)
    with suppress(OSError):
        _write_titles(path.parent, titles)


def _titled(titles: dict[str, dict], name: str, title: str, existing: DocumentInfo | None) -> dict[str, dict]:
    """The manifest's entries once file `name` is stored with `title` ("": the file's own), replacing `existing`."""
    replaced = {name, Path(existing.source).name if existing is not None else name}
    entries = {file: entry for file, entry in titles.items() if file not in replaced}
    title = one_line(title)[:MAX_TITLE_CHARS]
    if title:
        entries[name] = {"file": name, "title": title}
    return entries


def _write_titles(folder: Path, entries: dict[str, dict]) -> None:
    """The uploads folder's manifest.json (titles given at upload), read by ingest as a corpus manifest is; none
    without titles."""
    if not entries:
        (folder / MANIFEST).unlink(missing_ok=True)
        return
    part = folder / f".{MANIFEST}.part"
    _write_private(part, json.dumps({"documents": list(entries.values())}, ensure_ascii=False).encode())
    part.replace(folder / MANIFEST)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with ExitStack() as held:
        try:
            private_folder(folder)
            held.enter_context(FolderLock(folder.with_name(f"{folder.name}.lock")).exclusive())
        except OSError as exc:
            raise UploadStorageError(f"cannot use the uploads folder {folder}: {exc.strerror}") from None
        yield
