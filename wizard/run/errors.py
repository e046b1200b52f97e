"""The engine's own error, below everything that raises it (connections, node work, the action loop)."""

from __future__ import annotations

from wizard.base.i18n import LocalizedError, Msg, msg


class EngineError(LocalizedError, ValueError):
    """A request the engine cannot honour (unknown action, missing secret...)."""


# errno names -> catalogue keys (wizard/base/i18n.py, "oserr.*"): the OS's and paramiko's words are English only.
_ERRNO_KEYS = {
    "ECONNREFUSED": "oserr.refused", "ECONNRESET": "oserr.reset", "ECONNABORTED": "oserr.aborted",
    "EHOSTUNREACH": "oserr.host_unreachable", "ENETUNREACH": "oserr.net_unreachable", "ETIMEDOUT": "oserr.timeout",
    "EHOSTDOWN": "oserr.host_down", "ENETDOWN": "oserr.net_down", "EPIPE": "oserr.broken_pipe",
    "EADDRNOTAVAIL": "oserr.addr_not_available", "EADDRINUSE": "oserr.addr_in_use", "ENOENT": "oserr.no_file",
    "EACCES": "oserr.permission", "EPERM": "oserr.permission", "ENOSPC": "oserr.no_space",
}
# paramiko's own words (no errno): the start of its message -> catalogue key.
_PARAMIKO_KEYS = (
    ("Error reading SSH protocol banner", "oserr.no_banner"),
    ("No existing session", "oserr.no_session"),
    ("SSH session not active", "oserr.no_session"),
    ("Connect failed", "oserr.connect_failed"),
    ("Administratively prohibited", "oserr.prohibited"),
    ("Unable to connect", "oserr.refused"),
)


def reason_key(exc: BaseException) -> str | None:
    """The catalogue key that says in words why `exc` happened (OS errors by errno, timeouts, a name that does
    not resolve, paramiko's failures by their message), or None when there is none."""
    import errno
    import socket

    if isinstance(exc, socket.gaierror):
        return "oserr.no_name"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "oserr.timeout"
    if isinstance(exc, EOFError):
        return "oserr.closed"
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and errno.errorcode.get(code) in _ERRNO_KEYS:
        return _ERRNO_KEYS[errno.errorcode[code]]
    text = str(exc)
    for start, key in _PARAMIKO_KEYS:
        if start.lower() in text.lower():
            return key
    return None


def reason_of(exc: BaseException) -> Msg:
    """Why `exc` happened for a message: the catalogue's gloss with the original words in parentheses (in
    Spanish; English keeps the original, which is English already). Unknown errors keep their own words."""
    original = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or ""
    if isinstance(exc, TimeoutError | EOFError) and not original:
        original = "timed out" if isinstance(exc, TimeoutError) else "EOF"
    original = original or type(exc).__name__
    key = reason_key(exc)
    if key is None:
        return Msg.raw(original)
    gloss = msg(key)
    return Msg(original, f"{gloss.es} ({original})")
