"""Channels on one SSH connection: at most sshd's MaxSessions open at once (a jump's tunnels counted), and
a command's output cut into lines per stream."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable

import paramiko

LineCallback = Callable[[str, str], None]  # (stream "stdout"|"stderr", line without newline)


MAX_CHANNELS = 10  # sshd's default MaxSessions: channels open at once on one connection, tunnels included


OPEN_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 3.0)  # a session the node refused: tried again after these pauses


class ChannelGate:
    """The channels open at once on one SSH connection: at most `limit` (sshd's default MaxSessions), a jump's
    direct-tcpip tunnels counted with the sessions. Opens go one at a time (`opening`), so the count when the node
    grants one is what it allows at least (`best`); when the node refuses one anyway (a lower MaxSessions) the
    limit comes down to that, and the caller waits for a channel to close before trying again. A refusal with no
    more open than the node once granted is passing (a close sent here and not yet read there): the limit stays."""

    def __init__(self, limit: int = MAX_CHANNELS) -> None:
        self.limit = limit
        self.slots = 0  # held: channels open and opens under way
        self.established = 0  # channels the node granted and not yet closed
        self.best = 0
        self.opening = threading.Lock()
        self._cond = threading.Condition()

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.slots >= self.limit:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            self.slots += 1
            return True

    def release(self) -> None:
        """A slot given back without a channel (the open failed)."""
        with self._cond:
            self.slots = max(0, self.slots - 1)
            self._cond.notify_all()

    def opened(self) -> None:
        with self._cond:
            self.established += 1
            self.best = max(self.best, self.established)

    def closed(self) -> None:
        with self._cond:
            self.established = max(0, self.established - 1)
            self.slots = max(0, self.slots - 1)
            self._cond.notify_all()

    def refused(self) -> None:
        with self._cond:
            self.limit = max(1, min(self.limit, max(self.best, self.established)))

    def wait_for_close(self, timeout: float) -> None:
        """Until a channel closes (or `timeout`), then a moment for the node to read that close."""
        with self._cond:
            self._cond.wait(timeout)
        time.sleep(0.05)


_GATES_LOCK = threading.Lock()
_GATES: weakref.WeakKeyDictionary[paramiko.Transport, ChannelGate] = weakref.WeakKeyDictionary()


def gate_of(transport: paramiko.Transport) -> ChannelGate:
    """The gate of one connection (shared by its sessions and the tunnels of the servers jumping through it)."""
    with _GATES_LOCK:
        gate = _GATES.get(transport)
        if gate is None:
            gate = _GATES[transport] = ChannelGate()
        return gate


class LineSplitter:
    """Bytes in, complete lines out (per stream); the rest waits for its newline or `flush`."""

    def __init__(self, stream: str, on_line: LineCallback) -> None:
        self.stream = stream
        self.on_line = on_line
        self.buf = b""

    def feed(self, data: bytes) -> None:
        self.buf += data
        if b"\n" not in data:
            return
        *lines, self.buf = self.buf.split(b"\n")
        for raw in lines:
            self.on_line(self.stream, raw.decode("utf-8", "replace").rstrip("\r"))

    def flush(self) -> None:
        if self.buf:
            raw, self.buf = self.buf, b""
            self.on_line(self.stream, raw.decode("utf-8", "replace").rstrip("\r"))
