"""Ownership of a lab instance: an abstract unix socket bound by the owning process (the one that ran `up`),
released by `down` or when that process ends, however it ends. Several processes using one instance (two
test sessions, a teacher's shell) then take turns instead of tearing down each other's lab; other instances
are other sockets, so labs of different names never wait for each other."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from lab.base import LabBusy
from lab.instances import DEFAULT, run_dir

OWNER_SOCKET = "\0ha-wizard-lab-owner"  # the default instance's (the name one lab per machine had)
DEFAULT_WAIT = float(os.environ.get("HA_WIZARD_LAB_WAIT", "1800"))
_owned: dict[str, socket.socket] = {}


def owner_socket(name: str) -> str:
    return OWNER_SOCKET if name == DEFAULT else f"{OWNER_SOCKET}:{name}"


def owner_pid(name: str) -> int | None:
    """The pid that last took the instance (it may have ended since)."""
    try:
        return int((run_dir(name) / "owner").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def owned_elsewhere(name: str) -> bool:
    """Another live process owns the instance now (its socket is bound)."""
    if name in _owned:
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(owner_socket(name))
    except OSError:
        return True
    finally:
        sock.close()
    return False


def _busy(name: str) -> str:
    pid = owner_pid(name)
    which = "the lab" if name == DEFAULT else f"lab instance {name!r}"
    flag = "" if name == DEFAULT else f" --name {name}"
    return (f"{which} is in use by process {pid if pid is not None else '?'} (a test session or another "
            f"`lab up`); wait for it to finish, or `ha-wizard lab down{flag} --force`")


def acquire_lab(name: str = DEFAULT, wait: float = DEFAULT_WAIT, on_wait: object = None) -> None:
    """Become the instance's owner, waiting (bounded) while another live process owns it."""
    if name in _owned:
        return
    deadline = time.monotonic() + wait
    told = False
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(owner_socket(name))
            _owned[name] = sock
            return
        except OSError:
            sock.close()
        if time.monotonic() >= deadline:
            raise LabBusy(_busy(name))
        if not told and callable(on_wait):
            on_wait(f"{_busy(name).split(';')[0]}: waiting (at most {wait:.0f} s)")
            told = True
        time.sleep(0.5)


def mark_owner(name: str) -> None:
    """Write down the owner's pid (for messages and `lab list`); the socket is what counts."""
    folder: Path = run_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "owner").write_text(f"{os.getpid()}\n")


def release_lab(name: str | None = None) -> None:
    """Give the instance up (None: every instance this process owns)."""
    for key in [name] if name is not None else list(_owned):
        sock = _owned.pop(key, None)
        if sock is not None:
            sock.close()


def owns_lab(name: str = DEFAULT) -> bool:
    return name in _owned
