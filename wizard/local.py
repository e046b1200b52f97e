"""The local runner: host steps (VBoxManage, or the lab's stand-in) with the SSH runner's interface.

`bash -c COMMAND` in a session of its own, so a timeout or a cancel kills the whole process group;
stdout and stderr streamed line by line; secrets written to stdin, which is then closed.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from wizard.ssh import Cancelled, CommandTimeout, LineCallback, LineSplitter


def _default_env() -> dict[str, str] | None:
    """The wizard's own `ha-wizard` (lab profile: `ha-wizard lab vboxmanage`) first on PATH, when the
    wizard runs from a virtualenv that is not on PATH (`.venv/bin/python -m wizard.cli`)."""
    bindir = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if os.path.exists(os.path.join(bindir, "ha-wizard")) and bindir not in path.split(os.pathsep):
        return {**os.environ, "PATH": bindir + os.pathsep + path}
    return None


class LocalRunner:
    node = "local"

    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None) -> None:
        self.env = env if env is not None else _default_env()
        self.cwd = cwd

    def run(self, command: str, *, stdin: bytes | None = None, on_line: LineCallback,
            timeout: float = 300.0, cancel: threading.Event | None = None,
            on_start: Callable[[int], None] | None = None) -> int:
        proc = subprocess.Popen(["bash", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, env=self.env, cwd=self.cwd)
        assert proc.stdin and proc.stdout and proc.stderr
        if on_start is not None:
            on_start(proc.pid)  # a session leader: its pid is the process group
        deadline = time.monotonic() + timeout
        # stdin from a thread: a large input must not block reading the outputs.
        writer = threading.Thread(target=_feed, args=(proc.stdin, stdin or b""), daemon=True)
        writer.start()
        splitters = {proc.stdout.fileno(): LineSplitter("stdout", on_line),
                     proc.stderr.fileno(): LineSplitter("stderr", on_line)}
        sel = selectors.DefaultSelector()
        for f in (proc.stdout, proc.stderr):
            sel.register(f, selectors.EVENT_READ)
        try:
            open_fds = 2
            while open_fds:
                now = time.monotonic()
                if now >= deadline:
                    _kill(proc)
                    raise CommandTimeout(timeout)
                if cancel is not None and cancel.is_set():
                    _kill(proc)
                    raise Cancelled()
                for key, _ in sel.select(min(0.5, deadline - now)):
                    data = os.read(key.fd, 32768)
                    if data:
                        splitters[key.fd].feed(data)
                    else:
                        sel.unregister(key.fileobj)
                        open_fds -= 1
            for splitter in splitters.values():
                splitter.flush()
            # Outputs closed: the process is exiting (or a daemon it left holds nothing of ours).
            try:
                return proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill(proc)
                raise CommandTimeout(timeout) from None
        finally:
            sel.close()
            for f in (proc.stdout, proc.stderr):
                f.close()
            writer.join(timeout=1.0)

    def wait_group_gone(self, pgid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
            time.sleep(0.2)
        return False

    def close(self) -> None:
        pass


def _feed(pipe, data: bytes) -> None:  # noqa: ANN001 - a binary pipe
    try:
        if data:
            pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass  # the command did not read its stdin: not an error


def _kill(proc: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=2.0)
            return
        except subprocess.TimeoutExpired:
            continue
