"""The data folder's readers-writer lock, held by real processes."""

import subprocess
import sys
import threading

import pytest

from docqa.store.lock import FolderLock

HOLD = """
import fcntl, os, sys
fcntl.flock(os.open(sys.argv[1], os.O_RDWR | os.O_CREAT), getattr(fcntl, sys.argv[2]))
print("held", flush=True)
sys.stdin.readline()  # until told to release
"""


def holding(path, mode: str) -> subprocess.Popen:
    """Another process holding the lock file at `path` (flock `mode`: LOCK_SH, LOCK_EX) until its stdin closes."""
    command = [sys.executable, "-c", HOLD, str(path), mode]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert process.stdout.readline() == b"held\n"
    return process


def release(process: subprocess.Popen) -> None:
    process.stdin.close()
    assert process.wait(timeout=10) == 0


def test_a_writer_excludes_readers_of_other_processes_and_readers_share(tmp_path):
    lock = FolderLock(tmp_path / "data" / "x.lock")
    with lock.shared():  # creates the folder and the file
        pass
    writer = holding(lock.path, "LOCK_EX")
    with lock.shared(wait=False) as held:
        assert held is False  # another process writes
    release(writer)
    with lock.shared(wait=False) as held:
        assert held is True
    reader = holding(lock.path, "LOCK_SH")
    with lock.shared(wait=False) as held:
        assert held is True  # readers share
    release(reader)
    assert oct(lock.path.stat().st_mode & 0o777) == "0o600"


def test_sections_nest_in_a_thread_and_threads_exclude_each_other(tmp_path):
    lock = FolderLock(tmp_path / "x.lock")
    seen = []

    def read() -> None:
        with lock.shared(wait=False) as held:
            seen.append(held)

    with lock.exclusive():
        with lock.shared(), lock.exclusive():  # nested: nothing more taken
            pass
        other = threading.Thread(target=read)
        other.start()
        other.join()
    assert seen == [False]  # another thread is excluded as another process is
    with lock.shared(), pytest.raises(RuntimeError, match="would wait for itself"), lock.exclusive():
        pass
