"""Tiny corpora written by the tests."""

from pathlib import Path

STUDY = "Contexte.\fEnviron 5 000 emplois liés à l’IA devraient être créés d’ici 2025 en France."
NOTE = "Le Health Data Hub héberge des données de santé."


def small_corpus(folder: Path, note: bool = False) -> Path:
    """`folder` holding etude.txt (two pages, the 5 000 jobs on page 2) and, with `note`, note.txt."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "etude.txt").write_text(STUDY, encoding="utf-8")
    if note:
        (folder / "note.txt").write_text(NOTE, encoding="utf-8")
    return folder
