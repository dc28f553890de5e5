"""A readers-writer lock shared by every process using the data folder: readers of the index take it shared,
writers exclusive, so that no process reads files another is rewriting, nor writes from a stale view."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from docqa.private import private_folder


class FolderLock:
    """`fcntl.flock` on the file at `path` (created 0600, in a private folder; released by the system when a
    process dies).

    Re-entrant within a thread: a section nested in one this thread holds takes nothing more (a shared one
    inside an exclusive one included); turning a shared section into an exclusive one would wait for itself,
    so it raises `RuntimeError`. Each thread locks through its own descriptor, so threads exclude each other
    as processes do.
    """

    def __init__(self, path: Path):
        self.path = path
        self._held = threading.local()  # the mode of this thread's outermost section

    @contextmanager
    def shared(self, wait: bool = True) -> Iterator[bool]:
        """Held shared for the block; with `wait=False`, yields False at once (nothing held) when a writer holds
        it."""
        with self._section(fcntl.LOCK_SH, wait) as held:
            yield held

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._section(fcntl.LOCK_EX, wait=True):
            yield

    @contextmanager
    def _section(self, mode: int, wait: bool) -> Iterator[bool]:
        held = getattr(self._held, "mode", None)
        if held is not None:  # nested in a section of this thread
            if mode == fcntl.LOCK_EX and held == fcntl.LOCK_SH:
                raise RuntimeError(f"{self.path}: an exclusive section inside a shared one would wait for itself")
            yield True
            return
        descriptor = self._open()
        try:
            try:
                fcntl.flock(descriptor, mode if wait else mode | fcntl.LOCK_NB)
            except BlockingIOError:  # only without waiting
                locked = False
            else:
                locked = True
            if not locked:
                yield False
                return
            self._held.mode = mode
            try:
                yield True
            finally:
                self._held.mode = None
        finally:
            os.close(descriptor)  # releases the lock

    def _open(self) -> int:
        try:
            private_folder(self.path.parent)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            if not self.path.exists():
                raise
            return os.open(self.path, os.O_RDONLY)  # a read-only folder: locking needs no write access
