"""Which VBoxManage the host steps run: the answers' `[virtualbox] vboxmanage`, else the one found.

Finding it is a pure function of the environment, the platform and the file system (all parameters),
so the tests can fake a Windows, macOS or Linux layout on any machine. The search order follows
where VirtualBox's installers put it: PATH first (what the user's own shell would run), then
`%ProgramFiles%\\Oracle\\VirtualBox` and the folders the Windows installer records in
`VBOX_MSI_INSTALL_PATH` / `VBOX_INSTALL_PATH`, the macOS application bundle, and the Linux/macOS
`bin` folders (Linux packages also install a lowercase `vboxmanage` link).
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

NAME = "VBoxManage"
MAC_BUNDLE = "/Applications/VirtualBox.app/Contents/MacOS/VBoxManage"
UNIX_DIRS = ("/usr/bin", "/usr/local/bin")
VERSION_TIMEOUT = 15.0


@dataclass
class Discovery:
    """The VBoxManage to run (empty when none was found) and every place looked at, in order."""

    path: str = ""
    looked: list[str] = field(default_factory=list)
    configured: bool = False  # the answers named it

    @property
    def found(self) -> bool:
        return bool(self.path)


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _windows(platform: str) -> bool:
    return platform.startswith(("win", "cygwin"))


def _path_names(platform: str, env: Mapping[str, str]) -> list[str]:
    if _windows(platform):
        # cmd.exe's rule: the bare name only when it has an extension; otherwise each PATHEXT one.
        exts = [e for e in env.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(";") if e]
        return [NAME + e.lower() for e in exts if e.upper() in (".EXE", ".COM")] or [NAME + ".exe"]
    if platform.startswith("linux"):
        return [NAME, NAME.lower()]
    return [NAME]


def candidates(env: Mapping[str, str], platform: str) -> list[str]:
    """Every file that may be VBoxManage, in the order they are tried (duplicates removed)."""
    win = _windows(platform)
    join = ntpath.join if win else posixpath.join
    out: list[str] = []
    for folder in env.get("PATH", "").split(";" if win else ":"):
        folder = folder.strip().strip('"') if win else folder
        if folder:
            out += [join(folder, name) for name in _path_names(platform, env)]
    if win:
        for var in ("ProgramFiles", "ProgramW6432"):
            if env.get(var):
                out.append(ntpath.join(env[var], "Oracle", "VirtualBox", NAME + ".exe"))
        for var in ("VBOX_MSI_INSTALL_PATH", "VBOX_INSTALL_PATH"):
            # The installer writes the folder with a trailing backslash; old installs list several.
            for folder in env.get(var, "").split(";"):
                if folder.strip():
                    out.append(ntpath.join(folder.strip().strip('"'), NAME + ".exe"))
        if not env.get("ProgramFiles"):
            out.append(r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe")
    else:
        if platform == "darwin":
            out.append(MAC_BUNDLE)
        for folder in UNIX_DIRS:
            out += [posixpath.join(folder, name) for name in _path_names(platform, env)]
    return list(dict.fromkeys(out))


def find_vboxmanage(configured: str = "", *, env: Mapping[str, str] | None = None, platform: str | None = None,
                    is_executable: Callable[[str], bool] = _is_executable) -> Discovery:
    """The answers' path when set (reported as looked at, even when it is not there), else the first
    candidate that is an executable file."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if configured and not any(sep in configured for sep in "/\\"):
        # A bare name ("VBoxManage", "vboxmanage"): looked up on PATH like a shell would.
        win = _windows(platform)
        folders = [f for f in env.get("PATH", "").split(";" if win else ":") if f]
        looked = [(ntpath if win else posixpath).join(f, configured) for f in folders]
        found = next((p for p in looked if is_executable(p)), "")
        return Discovery(found, looked or [configured], configured=True)
    if configured:
        return Discovery(configured if is_executable(configured) else "", [configured], configured=True)
    looked = candidates(env, platform)
    for path in looked:
        if is_executable(path):
            return Discovery(path, looked)
    return Discovery("", looked)


def looked_summary(discovery: Discovery, limit: int = 12) -> str:
    """Where it looked, for a message: PATH entries first, the rest after (cut after `limit`)."""
    shown = discovery.looked[:limit]
    more = len(discovery.looked) - len(shown)
    return ", ".join(shown) + (f" (+{more})" if more > 0 else "")


def vboxmanage_version(path: str, timeout: float = VERSION_TIMEOUT) -> tuple[str, str]:
    """(`VBoxManage --version` output, error). Run without a shell; a hung VBoxService times out."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return "", str(exc) or type(exc).__name__
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        err = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return "", err
    # VirtualBox prints warnings (e.g. a missing kernel module) before the version on some hosts.
    return lines[-1], ""


def resolve_argv(argv: tuple[str, ...] | list[str], vboxmanage: str) -> list[str]:
    """argv with a leading "VBoxManage" replaced by the resolved path."""
    out = list(argv)
    if out and out[0] == NAME and vboxmanage:
        out[0] = vboxmanage
    return out


def configured(answers: object) -> str:
    """The answers' `[virtualbox] vboxmanage` (empty: looked for on PATH and where VirtualBox installs it)."""
    return getattr(getattr(answers, "virtualbox", None), "vboxmanage", "") or ""
