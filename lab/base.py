"""What every part of the lab shares: where it keeps things, its errors, small process/file helpers, a NIC."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# The lab's folders: instances/NAME (lab/instances.py) and images/ (the guest images); NAME/ in RUN: an
# instance's pid files and owner. HA_WIZARD_LAB_STATE / HA_WIZARD_LAB_RUN put them elsewhere, so labs
# of two checkouts of the project (or a scratch disk's) on one machine never meet; the hosts hide STATE.
STATE = Path(os.environ.get("HA_WIZARD_LAB_STATE") or "/var/lib/ha-wizard-lab")
RUN = Path(os.environ.get("HA_WIZARD_LAB_RUN") or "/run/ha-wizard-lab")
GUEST = Path(__file__).resolve().parent / "guest"
PAGES = Path(__file__).resolve().parent / "pages"
SYSTEM_PYTHON = "/usr/bin/python3"
BOOT_TIMEOUT = 90.0
# VirtualBox's PCI slots for NICs 1..8 give these names on a Linux guest (enp0s3, enp0s8, enp0s9, ...).
VBOX_IFNAMES = {1: "enp0s3", 2: "enp0s8", 3: "enp0s9", 4: "enp0s10", 5: "enp0s16", 6: "enp0s17", 7: "enp0s18",
                8: "enp0s19"}
DEFAULT_NICTYPE = "82540EM"
HOST_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
            "LANG=C.UTF-8", "USER=root", "LOGNAME=root", "SHELL=/bin/bash"]
# Debian packages whose programs the lab runs (scripts/install-deps.sh installs them).
REQUIRED_PROGRAMS = {
    "ip": "iproute2", "unshare": "util-linux", "nsenter": "util-linux", "sshd": "openssh-server",
    "ssh-keygen": "openssh-client", "ssh": "openssh-client", "haproxy": "haproxy", "corosync": "corosync",
    "pacemakerd": "pacemaker", "pcs": "pcs", "php": "php-cli", "ifup": "ifupdown",
    "start-stop-daemon": "dpkg", "ps": "procps", "killall": "psmisc", "ruby": "ruby (pcs)", "curl": "curl",
}


class LabError(Exception):
    """A lab operation that cannot be done; the message says why. Exit status 1."""


class LabUnavailable(LabError):
    """The lab cannot run on this machine (not root, packages missing). Exit status 2."""


class LabBusy(LabError):
    """Another live process owns the lab instance (a test session, say)."""


def missing_requirements() -> list[str]:
    """What stops the lab from running here, as sentences; empty when it can run."""
    problems = []
    if sys.platform != "linux":
        problems.append("the lab needs Linux (network namespaces)")
        return problems
    if os.geteuid() != 0:
        problems.append("the lab needs root (namespaces, veths, mounts): run it with sudo")
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    missing = sorted({pkg for prog, pkg in REQUIRED_PROGRAMS.items() if not shutil.which(prog, path=path)})
    if not os.path.exists(SYSTEM_PYTHON):
        missing.append("python3")
    if missing:
        problems.append(f"missing Debian packages: {', '.join(missing)}; install them with "
                        "`sudo scripts/install-deps.sh`")
    try:
        if "overlay" not in Path("/proc/filesystems").read_text():
            problems.append("the kernel has no overlay filesystem (modprobe overlay)")
    except OSError:
        pass
    return problems


def _run(cmd: list[str], check: bool = True, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    if check and res.returncode != 0:
        raise LabError(f"{' '.join(cmd)}: {(res.stderr or res.stdout).strip()}")
    return res


def _netns_list() -> list[str]:
    res = _run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in res.stdout.splitlines() if line.strip()]


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(x) for x in text.split()]
    except OSError:
        return []


def _is_mount_point(path: str) -> bool:
    try:
        return any(line.split()[4] == path for line in Path("/proc/self/mountinfo").read_text().splitlines())
    except OSError:
        return False


def _safe_name(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,30}", name))


def _whiteout(path: Path) -> None:
    """Make a file of the machine's /etc or /var look deleted inside a host (an overlayfs whiteout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _copy_tree(src: Path, dst: Path) -> None:
    # cp -a keeps owners, modes, the overlay's whiteouts (device nodes) and xattrs (opaque dirs).
    dst.parent.mkdir(parents=True, exist_ok=True)
    _run(["cp", "-a", "--reflink=auto", str(src), str(dst)], timeout=300)


@dataclass
class Nic:
    type: str  # natnetwork | intnet | none
    network: str
    mac: str  # plain form, 0800270101C1
    ifname: str
    nictype: str = DEFAULT_NICTYPE
    cable: bool = True

