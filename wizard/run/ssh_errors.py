"""What the SSH runner raises: each error a localized message saying what happened and what to check."""

from __future__ import annotations

import paramiko

from wizard.base.i18n import LocalizedError, Msg, msg
from wizard.run.errors import reason_of


class SSHError(LocalizedError):
    """Could not reach or log into a node; the message names the node and the address (both languages)."""

    def with_hint(self, note: Msg) -> SSHError:
        """Add what to do about it (where to fix it, how often it was tried) to the message."""
        self.msg = self.msg + " " + note
        self.args = (self.msg.en,)
        return self


class AuthFailed(SSHError):
    """The node refused every credential offered (or none could be offered): not retried."""


class Unreachable(SSHError):
    """Nothing answered SSH at the address (refused, no route, timeout, a forward with nothing behind).
    `stage`: "connect" (no TCP connection) or "banner" (TCP accepted, no SSH came)."""

    def __init__(self, message: Msg, stage: str) -> None:
        super().__init__(message)
        self.stage = stage
        self.dead_directors: list[str] = []  # "jump": the directors that did not answer themselves


class JumpFailed(SSHError):
    """The jump host did not open the tunnel. `unresponsive`: it did not even answer (dead connection)."""

    def __init__(self, message: Msg | str, unresponsive: bool) -> None:
        super().__init__(message)
        self.unresponsive = unresponsive


class NotStarted(SSHError):
    """The command could not even be started (stale or lost connection): nothing ran, safe to retry."""


class CommandTimeout(LocalizedError):
    def __init__(self, seconds: float) -> None:
        super().__init__(msg("eng.timed_out", seconds=f"{seconds:g}"))
        self.seconds = seconds


class Cancelled(LocalizedError):
    def __init__(self) -> None:
        super().__init__(msg("eng.stopped"))


def ssh_reason(exc: BaseException) -> Msg:
    """The OS's words (`Connection refused`, `No route to host`) or paramiko's, with a gloss in Spanish; never
    empty. A refused channel says what the node said and its code."""
    if isinstance(exc, paramiko.ChannelException):
        return msg("ssh.channel_refused", text=exc.text or "-", code=exc.code)
    return reason_of(exc)
