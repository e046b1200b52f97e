"""One runner per session: an exclusive lock that the operating system holds for the runner.

The lock is taken on `run.lock` in the session folder with `fcntl.flock` (POSIX) or `msvcrt.locking`
(Windows). The kernel drops it however the process ends (exit, crash, SIGKILL, a closed terminal), so
a stale lock cannot outlive its holder and nothing has to guess whether a pid is still alive. Beside it,
`holder.json` says who holds it (pid, host, since when, which front end) for the message a second
runner gets; that file is only a description, believed only while the lock is really held.

Readers (`sessions`, `export`) never take the lock; `holder()` only peeks at it with a shared lock held
for an instant, which a runner starting at that very instant rides out by retrying briefly.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

LOCK_FILE = "run.lock"
HOLDER_FILE = "holder.json"
# A `holder()` peek holds the lock for microseconds: retrying this long tells a peek from a runner.
ACQUIRE_RETRY_S = 0.5
ACQUIRE_RETRY_STEP_S = 0.02

if sys.platform == "win32":  # pragma: no cover - exercised on Windows hosts only
    import msvcrt

    def _try_lock(fh: IO[bytes], shared: bool) -> bool:
        # msvcrt has no shared locks: a peek takes the exclusive one for an instant.
        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fh: IO[bytes]) -> None:
        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
else:
    import fcntl

    def _try_lock(fh: IO[bytes], shared: bool) -> bool:
        # flock, not fcntl record locks: a record lock is lost when *any* descriptor of the file is
        # closed in the process, which a peek from the same process (the app's session list) would do.
        try:
            fcntl.flock(fh.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fh: IO[bytes]) -> None:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        except OSError:
            pass


@dataclass(frozen=True)
class Holder:
    """Who runs a session: enough for a person to find the process."""

    pid: int
    host: str
    since: str  # local time, ISO 8601 to the second
    front: str  # "run", "app" or "plain"

    @property
    def here(self) -> bool:
        return self.host == socket.gethostname()

    @property
    def since_short(self) -> str:
        return self.since.replace("T", " ")[:19]


class SessionBusy(Exception):
    """Another process holds the session; `holder` is None when it did not say who it is."""

    def __init__(self, folder: Path, holder: Holder | None) -> None:
        super().__init__(f"{folder}: in use" + (f" by pid {holder.pid}" if holder else ""))
        self.folder = folder
        self.holder = holder


def _read_holder(folder: Path) -> Holder | None:
    try:
        data = json.loads((folder / HOLDER_FILE).read_text(encoding="utf-8"))
        return Holder(int(data["pid"]), str(data["host"]), str(data["since"]), str(data["front"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _open(path: Path, create: bool) -> IO[bytes] | None:
    try:
        # Not inheritable (Python's default): a command the runner starts must not keep its lock.
        return open(path, "a+b" if create else "rb")  # noqa: SIM115 - kept open while the lock is held
    except FileNotFoundError:
        return None


def holder(folder: Path) -> Holder | None | bool:
    """Who holds the session in `folder`: a Holder, True when held by someone who did not say, or
    None when nobody runs it. Never takes the lock for longer than an instant."""
    fh = _open(folder / LOCK_FILE, create=False)
    if fh is None:
        return None
    try:
        if _try_lock(fh, shared=True):
            _unlock(fh)
            return None
        return _read_holder(folder) or True
    finally:
        fh.close()


class SessionLock:
    """The exclusive lock of one session folder, for as long as this object holds it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fh: IO[bytes] | None = None
        self.front = ""

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self, front: str) -> None:
        """Take the lock or raise SessionBusy at once (well within a second)."""
        if self._fh is not None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fh = _open(self.folder / LOCK_FILE, create=True)
        assert fh is not None
        deadline = time.monotonic() + ACQUIRE_RETRY_S
        while not _try_lock(fh, shared=False):
            if time.monotonic() >= deadline:
                fh.close()
                raise SessionBusy(self.folder, _read_holder(self.folder))
            time.sleep(ACQUIRE_RETRY_STEP_S)
        self._fh = fh
        self.front = front
        self._describe()

    def _describe(self) -> None:
        me = Holder(os.getpid(), socket.gethostname(), datetime.now().astimezone().isoformat(timespec="seconds"),
                    self.front)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{HOLDER_FILE}.", dir=self.folder)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(asdict(me), out)
            os.replace(tmp, self.folder / HOLDER_FILE)
        except OSError:
            pass  # only a description: the lock itself is what keeps a second runner out

    def ensure(self) -> None:
        """Take the lock again if the folder was removed under the runner (the lock file with it)."""
        if self._fh is None:
            return
        if (self.folder / LOCK_FILE).exists():
            return
        front = self.front
        self.release()
        self.acquire(front)

    def release(self) -> None:
        fh, self._fh = self._fh, None
        if fh is None:
            return
        me = _read_holder(self.folder)
        if me is not None and me.pid == os.getpid():
            try:
                (self.folder / HOLDER_FILE).unlink()
            except OSError:
                pass
        _unlock(fh)
        fh.close()
