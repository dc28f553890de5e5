"""Tiny corpora written by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from docqa.qa import QA

STUDY = "Contexte.\fEnviron 5 000 emplois liés à l’IA devraient être créés d’ici 2025 en France."
NOTE = "Le Health Data Hub héberge des données de santé."


def small_corpus(folder: Path, note: bool = False) -> Path:
    """`folder` holding etude.txt (two pages, the 5 000 jobs on page 2) and, with `note`, note.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "etude.txt").write_text(STUDY, encoding="utf-8")
    if note:
        (folder / "note.txt").write_text(NOTE, encoding="utf-8")
    return folder


def indexed_engine(root: Path, files: dict[str, str | bytes], **settings) -> QA:
    """An engine over `root/corpus` holding `files` (name -> text, or bytes as they are), indexed into `root/data`
    with these settings."""
    from docqa.qa import QA
    from docqa.settings import Settings
    from ingest.pipeline import ingest

    corpus = root / "corpus"
    corpus.mkdir()
    for name, content in files.items():
        path = corpus / name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content, encoding="utf-8")
    config = Settings(data_dir=root / "data", **settings)
    engine = QA(config)
    assert ingest([corpus], engine.index, config).ok
    return engine
