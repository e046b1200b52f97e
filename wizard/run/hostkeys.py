"""SSH host key verification: the user's known_hosts plus the wizard's own, never auto-add.

- A key found in a known_hosts file for the address is accepted (paramiko checks it).
- A *changed* key (known_hosts has another key for the address) is always refused; the message
  shows both fingerprints (see `changed_message`, raised by the SSH runner).
- An *unknown* key goes to `WizardHostKeyPolicy`: accepted only when pinned (`--pin`), when the
  same key was already trusted for the same node at another address (the standby clone moving
  off master's address keeps its key), with `--trust-new-hosts`, or when `confirm_host_key`
  (the TUI's question) says yes. Accepted keys are written to the wizard's known_hosts.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from wizard.base.i18n import LocalizedError, Msg, msg
from wizard.base.reach import split_address

# (node, address, "ssh-ed25519 SHA256:...") -> trust it?
ConfirmHostKey = Callable[[str, str, str], bool]


class HostKeyError(LocalizedError, paramiko.SSHException):
    """A host key the wizard refuses; the message says which host, which key and what to do."""


class PinError(LocalizedError, ValueError):
    """A --pin option that is not HOST=SHA256:FINGERPRINT."""


class HostKeyUnknown(HostKeyError):
    pass


class HostKeyChanged(HostKeyError):
    pass


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's form: `SHA256:` + unpadded base64 of the SHA-256 of the key blob."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(address: str, port: int = 22) -> str:
    return address if port == 22 else f"[{address}]:{port}"


def changed_message(node: str, address: str, offered: paramiko.PKey, known: paramiko.PKey,
                    wizard_file: Path | str | None = None) -> Msg:
    """A changed host key, refused: both fingerprints, and how to forget the old key where it is kept. OpenSSH
    writes a port other than 22 as `[host]:port`: `ssh-keygen -R 127.0.0.1:2201` would find nothing."""
    host, port = split_address(address)
    name = shlex.quote(known_hosts_name(host, port or 22))
    if wizard_file is None:
        from wizard.session.state import wizard_known_hosts

        wizard_file = wizard_known_hosts()
    files = shlex.quote(str(wizard_file))
    return msg("ssh.host_key_changed", node=node, address=address, name=name, file=files,
               known=f"{known.get_name()} {fingerprint(known)}", offered=f"{offered.get_name()} {fingerprint(offered)}")


def normalize_pin(value: str) -> str:
    """Accept `SHA256:abc=` / `abc` and return `SHA256:abc` (no padding), as `fingerprint` prints."""
    value = value.strip()
    if value.upper().startswith("SHA256:"):
        value = value[7:]
    return "SHA256:" + value.rstrip("=")


def parse_pins(items: Iterable[str]) -> dict[str, str]:
    """`HOST=SHA256:...` items (HOST: node name or address) -> {host: fingerprint}. ValueError names the bad one."""
    pins: dict[str, str] = {}
    for item in items:
        host, sep, fp = item.partition("=")
        if not sep or not host.strip() or not fp.strip():
            raise PinError(msg("hostkey.pin_form", item=repr(item)))
        body = normalize_pin(fp)[7:]
        try:
            raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise PinError(msg("hostkey.pin_fp", item=repr(item), fp=repr(fp)))
        pins[host.strip()] = normalize_pin(fp)
    return pins


@dataclass
class Decision:
    accept: bool
    how: str  # "pinned", "same key as ...", "--trust-new-hosts", "confirmed"; or why it was refused (English)
    refusal: Msg | None = None  # why it was refused, in both languages


def decide_unknown(node: str, address: str, key_type: str, fp: str, *, pins: dict[str, str],
                   trust_new_hosts: bool, node_fingerprints: Iterable[str],
                   confirm: ConfirmHostKey | None) -> Decision:
    """The policy for a key no known_hosts file has for this address. Pure: unit-tested alone."""
    pin = pins.get(node) or pins.get(address)
    if pin is not None:
        if pin == fp:
            return Decision(True, "pinned")
        why = msg("hostkey.pin_mismatch", node=node, address=address, key=f"{key_type} {fp}", pin=pin)
        return Decision(False, why.en, why)
    if fp in set(node_fingerprints):
        return Decision(True, f"same key already trusted for {node}")
    if trust_new_hosts:
        return Decision(True, "--trust-new-hosts")
    if confirm is not None and confirm(node, address, f"{key_type} {fp}"):
        return Decision(True, "confirmed")
    why = msg("hostkey.unknown_refused", node=node, address=address, key=f"{key_type} {fp}", fp=fp)
    return Decision(False, why.en, why)


@dataclass
class HostKeyTrust:
    """Everything the host key checks need; shared by all connections of an engine."""

    wizard_file: Path
    user_files: list[Path] = field(default_factory=list)
    pins: dict[str, str] = field(default_factory=dict)
    trust_new_hosts: bool = False
    confirm: ConfirmHostKey | None = None
    # (node, address, key_type, fingerprint, how) — the session records what was trusted.
    on_trusted: Callable[[str, str, str, str, str], None] | None = None
    node_fingerprints: dict[str, set[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def default_user_files(cls) -> list[Path]:
        return [Path(os.path.expanduser("~/.ssh/known_hosts"))]

    def load_into(self, client: paramiko.SSHClient) -> None:
        """User files are read-only for the wizard (system keys); its own file holds what it trusted."""
        for path in self.user_files:
            if path.is_file():
                client.load_system_host_keys(str(path))
        if self.wizard_file.is_file():
            client.get_host_keys().load(str(self.wizard_file))

    def remember(self, node: str, address: str, key: paramiko.PKey, how: str) -> None:
        fp = fingerprint(key)
        with self._lock:
            self.node_fingerprints.setdefault(node, set()).add(fp)
        if self.on_trusted is not None:
            self.on_trusted(node, address, key.get_name(), fp, how)

    def add_to_wizard_file(self, name: str, key: paramiko.PKey) -> None:
        with self._lock:
            self.wizard_file.parent.mkdir(parents=True, exist_ok=True)
            line = f"{name} {key.get_name()} {key.get_base64()}\n"
            fd = os.open(self.wizard_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)

    def policy(self, node: str, address: str, only_known: bool = False) -> WizardHostKeyPolicy:
        return WizardHostKeyPolicy(self, node, address, only_known)


class WizardHostKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Called by paramiko only for keys no known_hosts file has for the address."""

    def __init__(self, trust: HostKeyTrust, node: str, address: str, only_known: bool = False) -> None:
        self.trust = trust
        self.node = node
        self.address = address
        # Looking for a node that may have moved: only a key already trusted for it identifies it (no new
        # key is trusted, nobody is asked).
        self.only_known = only_known

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        fp = fingerprint(key)
        with self.trust._lock:
            known_for_node = set(self.trust.node_fingerprints.get(self.node, set()))
        decision = decide_unknown(self.node, self.address, key.get_name(), fp, pins=self.trust.pins,
                                  trust_new_hosts=self.trust.trust_new_hosts and not self.only_known,
                                  node_fingerprints=known_for_node,
                                  confirm=None if self.only_known else self.trust.confirm)
        if not decision.accept:
            raise HostKeyUnknown(decision.refusal or decision.how)
        self.trust.add_to_wizard_file(hostname, key)
        self.trust.remember(self.node, self.address, key, decision.how)
