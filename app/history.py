"""The web chat's conversations, stored in SQLite beside the feedback: listed, reopened, renamed, deleted,
exported as Markdown with their citations."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from app.labels import where
from docqa.private import private_file, private_folder
from docqa.schema import Answer, Hit
from docqa.text import one_line

MAX_TITLE_CHARS = 80


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Turn(BaseModel):
    """A question, its answer and the feedback given on it (row id in feedback.sqlite, thumb 1/0, comment)."""

    question: str
    answer: Answer
    feedback_id: int | None = None
    rating: int | None = None
    comment: str = ""


class Conversation(BaseModel):
    """A conversation: its title is its first question until renamed; times are UTC ISO strings."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    title: str = ""
    created: str = Field(default_factory=_now)
    updated: str = Field(default_factory=_now)
    turns: list[Turn] = Field(default_factory=list)

    def markdown(self) -> str:
        """The conversation as Markdown: each question, its answer, then its citations with their quotes."""
        lines = [f"# {self.title}", "", f"_{self.created[:10]}_", ""]
        for turn in self.turns:
            lines += [f"## {turn.question}", "", turn.answer.answer, ""]
            for c in turn.answer.citations:
                lines.append(f"- [{c.n}] {where(c.title, c.page, turn.answer.language)} (`{c.doc_id}`): « {c.quote} »")
            lines.append("")
        return "\n".join(lines)


class ConversationStore:
    """`conversations` table in a SQLite file (created on first use), one row per conversation, its turns as
    JSON (with each answer's passages, so that a reopened answer shows the same sources)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        private_folder(self.path.parent)
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, title TEXT, created TEXT, "
                "updated TEXT, turns TEXT)"
            )
        private_file(self.path)

    def save(self, conversation: Conversation) -> None:
        """Insert or update `conversation`; an untitled one takes its first question as title."""
        if not conversation.title and conversation.turns:
            conversation.title = conversation.turns[0].question[:MAX_TITLE_CHARS]
        conversation.updated = _now()
        turns = [
            {**t.model_dump(mode="json"), "hits": [h.model_dump(mode="json") for h in t.answer.hits]}
            for t in conversation.turns
        ]
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations (id, title, created, updated, turns) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET title = excluded.title, updated = excluded.updated, "
                "turns = excluded.turns",
                (conversation.id, conversation.title, conversation.created, conversation.updated, json.dumps(turns)),
            )

    def get(self, conversation_id: str) -> Conversation | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT id, title, created, updated, turns FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
        if row is None:
            return None
        turns = []
        for data in json.loads(row[4]):
            hits = data.pop("hits", [])
            turn = Turn.model_validate(data)
            turn.answer.hits = [Hit.model_validate(h) for h in hits]
            turns.append(turn)
        return Conversation(id=row[0], title=row[1], created=row[2], updated=row[3], turns=turns)

    def list(self, limit: int = 30) -> list[Conversation]:
        """The most recently updated conversations, without their turns."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, title, created, updated FROM conversations ORDER BY updated DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Conversation(id=r[0], title=r[1], created=r[2], updated=r[3]) for r in rows]

    def rename(self, conversation_id: str, title: str) -> str:
        """Give the conversation a new title (stripped, at most 80 characters); returns it."""
        title = one_line(title)[:MAX_TITLE_CHARS]
        if not title:
            raise ValueError("the title is empty")
        with self._connect() as db:
            db.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))
        return title

    def delete(self, conversation_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)
