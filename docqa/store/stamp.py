"""Freshness across processes: a file rewritten after every change of the index, so that the processes serving
it (`docqa serve`, the chat) see what a `docqa ingest` changed."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

State = tuple[int, int, int] | None


class Stamp:
    """The stamp file at `path`; `state()` changes whenever any process calls `touch()`."""

    def __init__(self, path: Path):
        self.path = path

    def touch(self) -> State:
        """Mark a change; returns the new state."""
        with contextlib.suppress(OSError):  # unwritable: the store's own write has failed loudly already
            fresh = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex}")
            fresh.write_text("")
            fresh.replace(self.path)  # a new inode each time: seen even where timestamps are coarse
        return self.state()

    def state(self) -> State:
        try:
            found = self.path.stat()
        except OSError:
            return None
        return found.st_ino, found.st_mtime_ns, found.st_size
