"""The data folder holds the users' questions, uploads and feedback: docqa creates it 0700 (with any missing
parent) and its own files 0600, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path


def private_folder(path: Path) -> Path:
    """`path` as a folder, each folder created here readable by its owner only."""
    path = Path(path)
    for folder in [*reversed(path.parents), path]:
        if not folder.exists():
            folder.mkdir(mode=0o700, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """`path` (an existing file) made readable and writable by its owner only."""
    os.chmod(path, 0o600)
    return path
