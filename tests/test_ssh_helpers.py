"""A real OpenSSH sshd on 127.0.0.1 for the runner's tests that need no namespaces.

Loopback only, a port picked free, host and client keys generated per test session, torn
down at the end. The lab's sshd (namespaces, jump through a director) is used by the `lab` tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
# Loopback addresses the test sshd listens on: several "nodes" (directors, a server behind them).
ADDRESSES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "test", "-f", str(path)], check=True)
    return path


class LoopbackSSHD:
    def __init__(self, folder: Path, addresses: tuple[str, ...] = (), port: int = 0, max_sessions: int = 100) -> None:
        self.addresses = addresses or ADDRESSES
        self.max_sessions = max_sessions
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.host_key = keygen(folder / "host_ed25519")
        self.client_key = keygen(folder / "id_ed25519")
        shutil.copy(folder / "id_ed25519.pub", folder / "authorized_keys")
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def host_pub(self) -> str:
        return (self.folder / "host_ed25519.pub").read_text().split()[1]

    def known_hosts_line(self, *addresses: str) -> str:
        return "".join(f"[{a}]:{self.port} ssh-ed25519 {self.host_pub}\n" for a in (addresses or ADDRESSES))

    def connections(self) -> list[int]:
        """Pids of sshd's per-connection processes (children of the listener)."""
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def start(self) -> LoopbackSSHD:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
        config = self.folder / "sshd_config"
        config.write_text(
            f"Port {self.port}\n" + "".join(f"ListenAddress {a}\n" for a in self.addresses) + f"HostKey {self.host_key}\n"
            f"PidFile {self.folder / 'sshd.pid'}\nAuthorizedKeysFile {self.folder / 'authorized_keys'}\n"
            "StrictModes no\nUsePAM no\nPermitRootLogin yes\nPasswordAuthentication yes\n"
            f"KbdInteractiveAuthentication no\nLogLevel ERROR\nMaxSessions {self.max_sessions}\nMaxStartups 100\n"
        )
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.folder / "sshd.log", "wb"))  # noqa: SIM115
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.addresses[0], self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("sshd exited: " + (self.folder / "sshd.log").read_text()) from None
                time.sleep(0.05)
        raise RuntimeError("sshd did not listen within 10 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def can_run_sshd() -> bool:
    return os.geteuid() == 0 and os.path.exists(SSHD)


@pytest.fixture(scope="session", name="sshd")
def sshd_fixture(tmp_path_factory: pytest.TempPathFactory):
    if not can_run_sshd():
        pytest.skip("needs root and OpenSSH's sshd")
    server = LoopbackSSHD(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture(name="clean_home")
def clean_home_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user known_hosts/ssh config/agent leaks into a test; the state dir is the test's own."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    return home


def test_loopback_sshd_answers_with_openssh_banner(sshd: LoopbackSSHD) -> None:
    with socket.create_connection(("127.0.0.1", sshd.port), timeout=5) as s:
        assert s.recv(64).startswith(b"SSH-2.0-OpenSSH")
