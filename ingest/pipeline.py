"""Ingestion: load -> clean -> chunk -> embed -> index, incremental by content hash.

Unchanged files are skipped, a changed file replaces exactly its own chunks, and a file gone from an ingested
folder has its chunks removed. One bad file is reported and skipped; it never stops the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from docqa.errors import ConfigError, DocqaError, FileTooLargeError, LoaderError
from docqa.schema import Chunk, DocumentInfo
from docqa.settings import Settings
from docqa.store import Index
from docqa.text import one_line
from ingest.chunking import chunk_pages
from ingest.clean import clean_text, full_line_width
from ingest.loaders import SUPPORTED_SUFFIXES, read

PIPELINE_VERSION = "13"  # bump when loading, cleaning or chunking change, so that re-ingest redoes everything
MANIFEST = "manifest.json"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class Skipped(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    """What an ingest run did."""

    indexed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    chunks: int = 0
    sentences: int = 0  # sentences embedded for re-ranking
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False only when files were given and none of them could be indexed."""
        return bool(self.indexed or self.unchanged or self.removed or not self.skipped)


def read_manifest(folder: Path) -> dict[str, dict]:
    """Entries of `folder/manifest.json` by file name ({} when there is none)."""
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["documents"]
        return {entry["file"]: entry for entry in entries}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a valid manifest ({exc})") from None


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[Skipped]]:
    """Supported files under the given files and folders (sorted), and the paths that cannot be ingested (a folder
    without a supported file, a file its folder's manifest lists that is not there)."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
            if not found:
                supported = ", ".join(SUPPORTED_SUFFIXES)
                skipped.append(Skipped(path=str(path), reason=f"no supported file in this folder ({supported})"))
            listed = {folder / name for folder in {f.parent for f in found} for name in _listed(folder)}
            missing = sorted(p for p in listed if not p.exists())
            skipped += [Skipped(path=str(p), reason=f"listed in {MANIFEST} but not found") for p in missing]
            files += found
        elif path.is_file():
            files.append(path)
        else:
            skipped.append(Skipped(path=str(path), reason="file not found"))
    return sorted({Path(os.path.abspath(f)) for f in files}), skipped  # a file given twice is read once


def _listed(folder: Path) -> list[str]:
    """The file names the folder's manifest lists (none when it is invalid: each file reports that)."""
    try:
        return list(read_manifest(folder))
    except ConfigError:
        return []


def content_hash(path: Path, settings: Settings, entry: dict | None = None) -> str:
    """Hash of the file's bytes, of its manifest `entry` (title, year...: a new title is a new version) and of
    everything that shapes its chunks."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(f"|{PIPELINE_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}".encode())
    if entry:
        digest.update(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def check_size(path: Path, size: int, settings: Settings) -> None:
    """Raises `FileTooLargeError` when `size` bytes are over `DOCQA_MAX_FILE_MB`."""
    if size > settings.max_file_mb * 2**20:
        reason = f"file too large ({size / 2**20:.1f} MB > {settings.max_file_mb:g} MB, DOCQA_MAX_FILE_MB)"
        raise FileTooLargeError(path, reason)


def prepare(
    path: Path, info: DocumentInfo, settings: Settings, progress: Callable[[int, int], None] | None = None
) -> list[Chunk]:
    """Load, clean and chunk one file; what the manifest leaves out of `info` is filled from the file."""
    check_size(path, path.stat().st_size, settings)
    entry = read_manifest(path.parent).get(path.name, {})
    loaded = read(path, info.doc_id, settings, language=entry.get("language") or "", progress=progress)
    shown = (("title", one_line(loaded.title)), ("publisher", one_line(loaded.author)), ("year", loaded.year))
    for field, value in shown:
        if value and not entry.get(field):
            setattr(info, field, value)
    info.language = entry.get("language") or loaded.language or info.language
    width = full_line_width((p.text for p in loaded.pages), settings)
    pages = [p.model_copy(update={"text": clean_text(p.text, width)}) for p in loaded.pages]
    pages = [p for p in pages if p.text]
    if not pages:
        raise LoaderError(path, "no text after cleaning")
    info.pages = sum(1 for p in pages if p.page is not None)
    return list(chunk_pages(pages, settings.chunk_size, settings.chunk_overlap, version=info.content_hash))


def document_info(path: Path, manifest: dict[str, dict], digest: str) -> DocumentInfo:
    """What the manifest says of the file (its file name, stem and absolute path otherwise); `LoaderError` when
    its entry holds a value of the wrong kind ("year": "deux mille")."""
    entry = manifest.get(path.name, {})
    try:
        return DocumentInfo(
            doc_id=entry.get("doc_id") or path.stem,
            title=entry.get("title") or path.stem.replace("-", " ").replace("_", " "),
            publisher=entry.get("publisher") or "",
            year=entry.get("year"),
            language=entry.get("language") or "fr",
            url=entry.get("url") or "",
            source=os.path.abspath(path),  # the same file whatever folder ingest runs from
            content_hash=digest,
        )
    except ValidationError as exc:
        wrong = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} ({e['input']!r})" for e in exc.errors())
        raise LoaderError(path, f"its entry in {MANIFEST} is invalid: {wrong}") from None


def ingest(
    paths: Iterable[Path],
    index: Index,
    settings: Settings,
    progress: Progress | None = None,
    prune: bool = True,
) -> IngestReport:
    """Index the supported files found under `paths` (a file whose content, manifest entry or place changed is
    read again; its unchanged chunks keep their vectors).

    With `prune`, documents not read in this run are removed when their source file was inside one of the given
    folders and no longer exists, or when their file is now read as another document (a new doc_id).
    """
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    files, skipped = find_files(paths)
    report = IngestReport(skipped=skipped)
    known = {d.doc_id: d for d in index.documents()}
    indexed_files = {d.source for d in known.values()}
    files.sort(key=lambda f: str(f) not in indexed_files)  # of two files of one id, the indexed one stays
    manifests: dict[Path, dict[str, dict]] = {}

    todo: list[tuple[DocumentInfo, list[Chunk]]] = []
    sources: dict[str, str] = {}  # document -> the file it is read from in this run
    for n, path in enumerate(files, start=1):
        if progress:
            progress("read", n - 1, len(files))
        try:
            manifest = manifests.setdefault(path.parent, read_manifest(path.parent))
            info = document_info(path, manifest, content_hash(path, settings, manifest.get(path.name)))
            if info.doc_id in sources:  # x.txt and x.md, or two manifest entries with one doc_id: one stays
                taken = f"its document id {info.doc_id!r} is {sources[info.doc_id]}'s already: rename one of the files"
                taken += f" or give it its own doc_id in {MANIFEST}"
                raise LoaderError(path, taken)
            sources[info.doc_id] = info.source
            old = known.get(info.doc_id)
            if old is not None and (old.content_hash, old.source) == (info.content_hash, info.source):
                report.unchanged.append(info.doc_id)
                continue
            todo.append((info, prepare(path, info, settings, partial(progress, "ocr") if progress else None)))
        except DocqaError as exc:
            reason = exc.reason if isinstance(exc, LoaderError) else str(exc)
            report.skipped.append(Skipped(path=str(path), reason=reason))
        except OSError as exc:
            report.skipped.append(Skipped(path=str(path), reason=f"cannot read the file ({exc.strerror})"))
    if progress:
        progress("read", len(files), len(files))

    total = sum(len(chunks) for _, chunks in todo)
    done = 0
    for info, chunks in todo:

        def embedded(n: int, base: int = done) -> None:
            if progress:
                progress("embed", base + n, total)

        embeddings = index.chunk_vectors(info, chunks, embedded)  # unchanged chunk texts keep their vectors
        done += len(chunks)
        info.chunks = len(chunks)
        index.replace_document(info, chunks, embeddings)
        report.indexed.append(info.doc_id)
        report.chunks += len(chunks)

    if prune:
        folders = [p.resolve() for p in paths if p.is_dir()]
        read_as = {str(Path(source).resolve()) for source in sources.values()}
        for doc in known.values():
            if not doc.source or doc.doc_id in sources:  # read in this run: it stays
                continue
            source = Path(doc.source)
            renamed = str(source.resolve()) in read_as  # its file is another document's now (a new doc_id)
            gone = not source.exists() and any(folder in source.resolve().parents for folder in folders)
            if renamed or gone:
                index.delete_document(doc.doc_id)
                report.removed.append(doc.doc_id)
    # sentence embeddings for the re-ranker: also catches up after an interrupted run
    report.sentences = index.sync_sentences(partial(progress, "sentences") if progress else None)
    report.seconds = time.perf_counter() - started
    return report
