"""docqa's error hierarchy (the faces, CLI, API and chat, translate these into user messages), and the check of a
question that raises them without loading the engine."""

from __future__ import annotations

from pathlib import Path

MAX_QUESTION_CHARS = 2000


class DocqaError(Exception):
    """Base class of every error a user can cause or fix."""


class LoaderError(DocqaError):
    """A file could not be read into pages; names the file and the reason."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class IndexMissingError(DocqaError):
    """No index has been built yet under the data directory."""


class IndexStorageError(DocqaError):
    """The index's storage failed: full disk, read-only folder, unreachable Chroma server."""


class EmbeddingModelMismatchError(DocqaError):
    """The index was built with another embedding model than the one configured."""


class UnknownDocumentError(DocqaError):
    """A question or search was limited to documents that are not indexed."""


class ConfigError(DocqaError):
    """A setting has a value docqa cannot use."""


class LLMError(DocqaError):
    """The configured chat model could not be reached or gave no usable answer."""


class FileTooLargeError(LoaderError):
    """A file is larger than `DOCQA_MAX_FILE_MB`."""


class UnsupportedFileError(LoaderError):
    """A file's type has no loader."""


class DocumentExistsError(DocqaError):
    """An upload would replace a document it did not create, or was not asked to replace."""


class UploadStorageError(DocqaError):
    """An uploaded file could not be written under the data directory (full disk, read-only folder)."""


def checked_question(query: str, k: int | None, what: str = "question") -> str:
    """`query` stripped, or a DocqaError saying what is wrong with it (the `what`: "question", or "query" for a
    search) or with `k` (read without the engine)."""
    query = (query or "").strip()
    if not query:
        raise DocqaError(f"the {what} is empty")
    if len(query) > MAX_QUESTION_CHARS:
        raise DocqaError(f"the {what} is too long ({len(query)} characters, at most {MAX_QUESTION_CHARS})")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: JSON's "\ud800", or bytes that are not UTF-8 in argv
        raise DocqaError(f"the {what} is not valid text: character {error.start + 1} is not Unicode") from None
    if k is not None and not 1 <= k <= 50:
        raise DocqaError(f"k must be between 1 and 50, got {k}")
    return query
