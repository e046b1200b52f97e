"""The local runner: host steps on the machine running the wizard, with the SSH runner's interface.

No shell, on any OS: an action is an argument vector run with `shell=False` (argv[0] "VBoxManage" is
the VBoxManage the answers name or discovery finds) or a host operation done in Python
(wizard/run/hostops.py). A shell string is refused: on Windows there is no /bin/sh, and a host step that
needs one would work only here. Each program runs in a process group of its own (POSIX: a new
session; Windows: CREATE_NEW_PROCESS_GROUP), so a timeout or a cancel stops it and what it started;
stdout and stderr are read by threads (pipes cannot be select()ed on Windows), line by line; secrets
are written to stdin, which is then closed.
"""

from __future__ import annotations

import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from steps.model import HostOp
from wizard.run.channels import LineCallback, LineSplitter
from wizard.run.hostops import EXIT_REFUSED, LocalError, run_host_op
from wizard.run.ssh_errors import Cancelled, CommandTimeout
from wizard.run.vboxmanage import NAME as VBOXMANAGE
from wizard.run.vboxmanage import Discovery, find_vboxmanage, looked_summary

WINDOWS = sys.platform == "win32"
EXIT_NOT_FOUND = 127  # as a shell says when a program is missing
# -- quoting for the user's shell -------------------------------------------------------------------

def quote_argv(argv: Sequence[str], platform: str | None = None) -> str:
    """argv as the user types it in their own shell: POSIX sh quoting, or on Windows PowerShell's
    (single quotes, `&` before a quoted program; PowerShell is the default shell of Windows Terminal)."""
    platform = sys.platform if platform is None else platform
    if not platform.startswith("win"):
        return shlex.join(argv)
    out = []
    for arg in argv:
        if arg and all(c.isalnum() or c in "-_./:=@,+\\" for c in arg):
            out.append(arg)
        else:
            out.append("'" + arg.replace("'", "''") + "'")
    if out and out[0].startswith("'"):
        out[0] = "& " + out[0]  # PowerShell runs a quoted string only with the call operator
    return " ".join(out)


def parse_command(command: str) -> list[str]:
    """A command the user edited, as argv: one program and its arguments, POSIX quoting. Shell
    operators (pipes, redirections, `;`, `&&`, `$(...)`) are refused: nothing would run them."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError as exc:
        raise LocalError(f"the command cannot be read ({exc})", key="local.unreadable",
                         values={"error": str(exc)}) from None
    operators = [t for t in tokens if t and all(c in "();<>|&" for c in t)]
    # Unquoted `$(` comes out as "(" above; an unquoted backtick stays inside a word: look at the raw words.
    raw = shlex.shlex(command, posix=False, punctuation_chars=True)
    raw.whitespace_split = True
    if any("`" in word and word[0] not in "'\"" for word in raw):
        operators = ["`...`"]
    elif "(" in operators and "$" in tokens:
        operators = ["$(...)"]
    if operators:
        raise LocalError("the machine running the wizard runs commands without a shell: give one program and its "
                         f"arguments (no {operators[0]})", key="local.no_shell", values={"what": operators[0]})
    if not tokens:
        raise LocalError("empty command", key="local.empty")
    return tokens


# -- the runner -----------------------------------------------------------------------------------------

class LocalRunner:
    node = "local"

    def __init__(self, env: dict[str, str] | None = None, cwd: str | None = None, *, vboxmanage: str = "",
                 lang: str = "en", answers: Any = None) -> None:
        self.env = env
        self.cwd = cwd
        self.configured_vboxmanage = vboxmanage
        self.lang = lang
        self.answers = answers  # what host operations may read (addresses); never secrets
        self._discovery: Discovery | None = None

    # VBoxManage is looked for once per runner, when a step first needs it.
    def discovery(self) -> Discovery:
        if self._discovery is None:
            env = self.env if self.env is not None else os.environ
            self._discovery = find_vboxmanage(self.configured_vboxmanage, env=env)
        return self._discovery

    def vboxmanage(self) -> str:
        found = self.discovery()
        if not found.found:
            where = looked_summary(found)
            if found.configured:
                raise LocalError(f"VBoxManage not found at {where} ([virtualbox] vboxmanage in the answers)",
                                 EXIT_NOT_FOUND, "local.vbox_configured_missing", {"where": where})
            raise LocalError(f"VBoxManage not found; looked in: {where}. Install VirtualBox, or set "
                             "[virtualbox] vboxmanage in the answers", EXIT_NOT_FOUND, "local.vbox_missing",
                             {"where": where})
        return found.path

    def resolve(self, argv: Sequence[str]) -> list[str]:
        out = list(argv)
        if out and out[0] == VBOXMANAGE:
            out[0] = self.vboxmanage()
        return out

    def shown(self, argv: Sequence[str]) -> str:
        """What runs, quoted for this machine's shell (VBoxManage resolved when it can be)."""
        try:
            return quote_argv(self.resolve(argv))
        except LocalError:
            return quote_argv(list(argv))

    def run(self, command: Sequence[str] | HostOp | str, *, stdin: bytes | None = None, on_line: LineCallback,
            timeout: float = 300.0, cancel: threading.Event | None = None,
            on_start: Callable[[int], None] | None = None) -> int:
        """An argv (a list or tuple of strings) or a host operation; a string is refused."""
        if isinstance(command, str):
            raise LocalError("a host step must be an argument vector or a host operation, not a shell string",
                             EXIT_REFUSED, "local.shell_string")
        if isinstance(command, HostOp):

            return run_host_op(command, self, on_line=on_line, cancel=cancel, timeout=timeout, on_start=on_start)
        return self.run_argv(command, stdin=stdin, on_line=on_line, timeout=timeout, cancel=cancel,
                             on_start=on_start)

    def run_argv(self, argv: Sequence[str], *, stdin: bytes | None = None, on_line: LineCallback,
                 timeout: float = 300.0, cancel: threading.Event | None = None,
                 on_start: Callable[[int], None] | None = None) -> int:
        args = self.resolve(argv)
        if not args or not all(isinstance(a, str) for a in args):
            raise LocalError(f"not an argument vector: {argv!r}", EXIT_REFUSED, "local.bad_argv")
        try:
            proc = subprocess.Popen(args, shell=False, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self.env, cwd=self.cwd, **_group_kwargs())
        except FileNotFoundError:
            raise LocalError(f"{args[0]}: program not found", EXIT_NOT_FOUND, "local.not_found",
                             {"program": args[0]}) from None
        except PermissionError:
            raise LocalError(f"{args[0]}: not executable", EXIT_REFUSED, "local.not_executable",
                             {"program": args[0]}) from None
        assert proc.stdin and proc.stdout and proc.stderr
        if on_start is not None:
            on_start(proc.pid)  # its own group: the pid is the group id (POSIX and Windows)
        deadline = time.monotonic() + timeout
        # stdin from a thread: a large input must not block reading the outputs.
        writer = threading.Thread(target=_feed, args=(proc.stdin, stdin or b""), daemon=True)
        writer.start()
        chunks: queue.Queue[tuple[str, bytes]] = queue.Queue()
        readers = [threading.Thread(target=_read, args=(f, name, chunks), daemon=True)
                   for f, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))]
        for r in readers:
            r.start()
        splitters = {"stdout": LineSplitter("stdout", on_line), "stderr": LineSplitter("stderr", on_line)}
        try:
            open_streams = 2
            while open_streams:
                now = time.monotonic()
                if now >= deadline:
                    _kill(proc)
                    raise CommandTimeout(timeout)
                if cancel is not None and cancel.is_set():
                    _kill(proc)
                    raise Cancelled()
                try:
                    name, data = chunks.get(timeout=min(0.2, deadline - now))
                except queue.Empty:
                    continue
                if data:
                    splitters[name].feed(data)
                else:
                    open_streams -= 1
            for splitter in splitters.values():
                splitter.flush()
            # Outputs closed: the program is exiting (or a daemon it left holds nothing of ours).
            try:
                return proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill(proc)
                raise CommandTimeout(timeout) from None
        finally:
            for f in (proc.stdout, proc.stderr):
                try:
                    f.close()
                except OSError:
                    pass
            writer.join(timeout=1.0)

    def wait_group_gone(self, pgid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = _group_alive(pgid)
            if alive is None:
                return False  # not ours to look at
            if not alive:
                return True
            time.sleep(0.2)
        return False

    def close(self) -> None:
        pass


def _group_kwargs() -> dict[str, Any]:
    if WINDOWS:
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def _read(pipe: Any, name: str, out: queue.Queue) -> None:
    try:
        while True:
            data = pipe.read1(32768) if hasattr(pipe, "read1") else pipe.read(32768)
            if not data:
                break
            out.put((name, data))
    except (OSError, ValueError):
        pass  # closed under us after a kill
    out.put((name, b""))


def _feed(pipe: Any, data: bytes) -> None:
    try:
        if data:
            pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass  # the command did not read its stdin: not an error


def _kill(proc: subprocess.Popen) -> None:
    if WINDOWS:
        # No process-group signals on Windows: Ctrl+Break reaches the group (console programs), then
        # TerminateProcess ends the program itself.
        try:
            proc.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined]
            proc.wait(timeout=2.0)
            return
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        proc.terminate()
        try:
            proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pass
        return
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


def _group_alive(pgid: int) -> bool | None:
    """True/False whether the group (Windows: the process) still runs; None when it is not ours to see."""
    if WINDOWS:
        return _windows_process_alive(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return None
    return True


def _windows_process_alive(pid: int) -> bool | None:  # pragma: no cover - Windows only
    # os.kill(pid, 0) would *terminate* the process on Windows: ask the kernel instead.
    import ctypes

    synchronize, wait_timeout = 0x00100000, 0x00000102
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return False if kernel32.GetLastError() == 87 else None  # 87: no such process
    try:
        return kernel32.WaitForSingleObject(handle, 0) == wait_timeout
    finally:
        kernel32.CloseHandle(handle)
