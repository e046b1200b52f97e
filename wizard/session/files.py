"""Writing a session's files so that a crash at any instant leaves the old file or the new one, never half
of either; and noticing that someone else replaced a file meanwhile."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """Enough of a file's identity to notice that someone else replaced or edited it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _keep_previous(path: Path, keep: Path) -> None:
    """Make `keep` the current `path` (before it is replaced): a hard link, so no extra write; a copy
    where the file system has no links. Best effort: an older good copy is better than a failed save."""
    tmp = keep.with_name(f".{keep.name}.{os.getpid()}.tmp")
    try:
        try:
            os.link(path, tmp)
        except FileNotFoundError:
            return
        except OSError:
            shutil.copyfile(path, tmp)
        os.replace(tmp, keep)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def atomic_write(path: Path, text: str, mode: int = 0o600, durable: bool = True, keep: Path | None = None) -> None:
    """Write `text` to `path` so that a crash at any instant leaves the old or the new file.

    `keep`: where the old file stays (the session's good copy)."""
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if keep is not None:
            _keep_previous(path, keep)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if not durable or not hasattr(os, "O_DIRECTORY"):  # Windows: a folder cannot be opened to fsync it
        return
    # The rename is durable only once the directory entry is on disk.
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
