"""Lab instances: several labs side by side on one machine, each with its own name.

An instance has its own network namespaces (bridges and VMs), state folder, run folder, key, known_hosts,
VBoxManage stand-in and owner, and its own *host side*: a loopback address of this machine on which its
port forwards listen (`[]` and `[127.0.0.1]` in a rule mean that address). The default instance
("default") listens on 127.0.0.1, as the guide's forwards say; the others on 127.0.0.2, 127.0.0.3, ...
(all of 127.0.0.0/8 is this machine's loopback on Linux: nothing to configure), and the answers made for
them (`Lab.wizard_answers`, `ha-wizard lab answers --name N`) name that address.

Names on the machine (an instance's own, so two instances never touch each other's):
  state  /var/lib/ha-wizard-lab/instances/NAME/   (instance.json: its number and address; lab.json; hosts/...)
  run    /run/ha-wizard-lab/NAME/                 (owner, pid files)
  netns  default: hawl-net, hawl-<vm>; others: hawl.NAME.net, hawl.NAME.<vm> (an instance name has no dot,
         so one instance's prefix is never another's)
  link   default: hawl0; others: hawl<number> (`--host-link` only; interface names have 15 characters at most)
/var/lib/ha-wizard-lab/images/ belongs to the guest images (`lab up --image`): no `down` removes it.

An instance exists from its first `up` (or `lab answers`) until its `down`; its number is kept meanwhile
(`up` again keeps it), so answers made for it stay right. Numbers are handed out under a lock: the lowest
free one, or the one the answers already name when it is free.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

from lab.base import RUN, STATE, LabError, _is_mount_point, _run

DEFAULT = "default"
INSTANCES = STATE / "instances"
INFO = "instance.json"
NAME_MAX = 24
_NAME = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{NAME_MAX - 1}}}")
FIRST_OTHER = 2  # 127.0.0.1 is the default instance's
LAST = 254


def check_name(name: str) -> str:
    """The instance name, or LabError saying what a name may be."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise LabError(f"lab instance name {name!r}: use 1-{NAME_MAX} lowercase letters, digits and '-' "
                       "(starting with a letter or digit)")
    return name


def state_dir(name: str) -> Path:
    return INSTANCES / name


def run_dir(name: str) -> Path:
    return RUN / name


def netns_prefix(name: str) -> str:
    """Every network namespace of the instance starts with this (and no other instance's does)."""
    return "hawl-" if name == DEFAULT else f"hawl.{name}."


def bridge_ns(name: str) -> str:
    return netns_prefix(name) + "net"


def root_link(number: int) -> str:
    """The `--host-link` veth in the root namespace (at most 15 characters, as every interface name)."""
    return "hawl0" if number == 1 else f"hawl{number}"


def address_of(number: int) -> str:
    return f"127.0.0.{number}"


def _read_info(name: str) -> dict:
    try:
        data = json.loads((state_dir(name) / INFO).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def number_of(name: str) -> int | None:
    """The instance's number (its loopback address is 127.0.0.NUMBER); None while it has none."""
    if name == DEFAULT:
        return 1
    number = _read_info(name).get("number")
    return number if isinstance(number, int) and FIRST_OTHER <= number <= LAST else None


def names() -> list[str]:
    """Every instance that exists on this machine (made by `up` or `lab answers`, not yet `down`)."""
    if not INSTANCES.is_dir():
        return []
    found = [p.name for p in INSTANCES.iterdir() if p.is_dir() and _NAME.fullmatch(p.name)
             and ((p / INFO).exists() or (p / "lab.json").exists())]
    return sorted(found, key=lambda n: (n != DEFAULT, number_of(n) or 999, n))


@contextlib.contextmanager
def machine_lock() -> Iterator[None]:
    """One process at a time hands out numbers, makes /run/netns a mount point or undoes it."""
    RUN.mkdir(parents=True, exist_ok=True)
    with open(RUN / ".lock", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def reserve(name: str, preferred: str = "") -> int:
    """The instance's number, handed out now if it has none: `preferred` (a loopback address the answers
    name) when no other instance has it, else the lowest free one."""
    check_name(name)
    if name == DEFAULT:
        state_dir(name).mkdir(parents=True, exist_ok=True)
        _write_info(name, 1)
        return 1
    with machine_lock():
        have = number_of(name)
        if have is not None:
            return have
        taken = {number_of(other): other for other in names() if other != name}
        wanted = _number_in(preferred)
        if wanted is not None and wanted in taken:
            raise LabError(f"{preferred}: lab instance {taken[wanted]!r} listens there already; make the answers "
                           f"for {name!r} with `ha-wizard lab answers --name {name}`")
        if wanted is None:
            free = [n for n in range(FIRST_OTHER, LAST + 1) if n not in taken]
            if not free:
                raise LabError(f"no free loopback address for lab instance {name!r} (127.0.0.2-127.0.0.{LAST} "
                               "are all taken): `ha-wizard lab down --name N` some")
            wanted = free[0]
        state_dir(name).mkdir(parents=True, exist_ok=True)
        _write_info(name, wanted)
        return wanted


def _number_in(address: str) -> int | None:
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return None
    parts = str(ip).split(".")
    if parts[:3] != ["127", "0", "0"] or not FIRST_OTHER <= int(parts[3]) <= LAST:
        return None
    return int(parts[3])


def _write_info(name: str, number: int) -> None:
    folder = state_dir(name)
    folder.chmod(0o700)
    INSTANCES.chmod(0o755)
    tmp = folder / f"{INFO}.tmp"
    tmp.write_text(json.dumps({"name": name, "number": number, "address": address_of(number)}) + "\n")
    os.replace(tmp, folder / INFO)


NETNS_DIR = Path("/run/netns")
NETNS_MADE = RUN / "made-run-netns.json"  # `ip netns add` made /run/netns (a mount point): undo it at the end


def netns_add(ns: str) -> None:
    """`ip netns add`, remembering (machine-wide, for the last lab's `down`) whether it made /run/netns."""
    with machine_lock():
        if not NETNS_MADE.exists() and not _is_mount_point(str(NETNS_DIR)):
            NETNS_MADE.write_text(json.dumps({"dir": not NETNS_DIR.exists()}) + "\n")
        _run(["ip", "netns", "add", ns])


def netns_mount_undo() -> None:
    """Once no namespace is left at all, undo what the first `ip netns add` of a lab did to /run/netns."""
    with machine_lock():
        try:
            made = json.loads(NETNS_MADE.read_text())
        except (OSError, ValueError):
            return
        if NETNS_DIR.is_dir() and any(NETNS_DIR.iterdir()):
            return  # a namespace of another lab (or of anyone) still lives there
        if _is_mount_point(str(NETNS_DIR)):
            _run(["umount", str(NETNS_DIR)], check=False)
        if made.get("dir") and NETNS_DIR.is_dir() and not _is_mount_point(str(NETNS_DIR)):
            with contextlib.suppress(OSError):
                NETNS_DIR.rmdir()
        NETNS_MADE.unlink(missing_ok=True)
