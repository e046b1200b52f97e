"""Ownership of the machine's one lab: an abstract unix socket bound by the owning process (the one that
ran `up`), released by `down` or when that process ends, however it ends. Several test sessions on one
machine then take turns instead of tearing down each other's lab."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from lab.base import RUN, LabBusy

OWNER_SOCKET = "\0ha-wizard-lab-owner"
DEFAULT_WAIT = float(os.environ.get("HA_WIZARD_LAB_WAIT", "1800"))
_owner: dict[str, object] = {"sock": None}


def _owner_pid(run_dir: Path) -> str:
    try:
        return (run_dir / "owner").read_text().strip()
    except OSError:
        return "?"


def acquire_lab(run_dir: Path = RUN, wait: float = DEFAULT_WAIT, on_wait: object = None) -> None:
    """Become the lab's owner, waiting (bounded) while another live process owns it."""
    if _owner["sock"] is not None:
        return
    deadline = time.monotonic() + wait
    told = False
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(OWNER_SOCKET)
            _owner["sock"] = sock
            return
        except OSError:
            sock.close()
        if time.monotonic() >= deadline:
            raise LabBusy(f"the lab is in use by process {_owner_pid(run_dir)} (a test session or another "
                          "`lab up`); wait for it to finish, or `ha-wizard lab down --force`")
        if not told and callable(on_wait):
            on_wait(f"the lab is in use by process {_owner_pid(run_dir)}: waiting (at most {wait:.0f} s)")
            told = True
        time.sleep(0.5)


def release_lab() -> None:
    sock = _owner["sock"]
    _owner["sock"] = None
    if sock is not None:
        sock.close()


def owns_lab() -> bool:
    return _owner["sock"] is not None

