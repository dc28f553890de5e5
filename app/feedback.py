"""Feedback on answers, stored durably in SQLite (raw material for new eval questions), exportable as CSV."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from docqa.private import private_file, private_folder
from docqa.schema import Answer

COLUMNS = ("time", "question", "answer", "citations", "rating", "comment")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FeedbackStore:
    """`feedback` table in a SQLite file (created on first use)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        private_folder(self.path.parent)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY, time TEXT, question TEXT, "
                "answer TEXT, citations TEXT, rating INTEGER, comment TEXT)"
            )
        private_file(self.path)

    def add(self, answer: Answer, rating: int, comment: str = "") -> int:
        """Record a thumbs up (rating 1) or down (0) on `answer`, with an optional comment; returns its row id."""
        _check(rating)
        citations = json.dumps([c.model_dump(exclude={"passage"}) for c in answer.citations], ensure_ascii=False)
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (time, question, answer, citations, rating, comment) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    answer.question,
                    answer.answer,
                    citations,
                    rating,
                    comment.strip(),
                ),
            )
            return cursor.lastrowid

    def update(self, row_id: int, rating: int | None = None, comment: str | None = None) -> None:
        """Change the thumb or the comment of feedback `row_id` (the user changed their mind or added a word)."""
        if rating is not None:
            _check(rating)
        with self._connect() as db:
            if rating is not None:
                db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (rating, row_id))
            if comment is not None:
                db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), row_id))

    def rows(self) -> list[dict]:
        with self._connect() as db:
            cursor = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id")
            return [dict(zip(COLUMNS, row, strict=True)) for row in cursor]

    def to_csv(self) -> str:
        """The feedback as CSV, its text cells safe to open in a spreadsheet (see `_cell`)."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({column: _cell(value) for column, value in row.items()} for row in self.rows())
        return out.getvalue()

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)


def _cell(value: object) -> object:
    """A text starting with = + - @ (or a tab, a carriage return) is run as a formula by spreadsheets: it is
    prefixed with a quote, which they show as text (OWASP's CSV injection advice)."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def _check(rating: int) -> None:
    if rating not in (0, 1):
        raise ValueError(f"rating must be 0 or 1, got {rating}")
