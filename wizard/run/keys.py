"""The keys the wizard logs in with: its own key pair, and the lab's key for the `lab` profile.

- The wizard's own ed25519 key lives in its state folder (platformdirs; `ssh/id_ed25519`, mode 0600).
  Made on first use; the access section installs its public half on a node that only took a password
  (an ssh-copy-id equivalent), so later connections need no password. Always offered when it exists.
- With `profile = "lab"` the lab's client key and known_hosts are used without flags; an explicit
  `--identity` / `--known-hosts` replaces them.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from wizard.session.state import state_root

KEY_NAME = "id_ed25519"


def wizard_key_path(root: Path | str | None = None) -> Path:
    return state_root(root) / "ssh" / KEY_NAME


def ensure_wizard_key(root: Path | str | None = None) -> Path:
    """The wizard's private key file, made now (ed25519, OpenSSH format, no passphrase) when missing."""
    path = wizard_key_path(root)
    if path.is_file() and path.with_suffix(".pub").is_file():
        return path
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.parent.chmod(0o700)
    except OSError:
        pass  # a file system without modes (Windows): the folder is the user's own anyway
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, private)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    comment = f"ha-wizard@{socket.gethostname() or 'host'}"
    path.with_suffix(".pub").write_text(f"{public.decode()} {comment}\n", encoding="ascii")
    return path


def wizard_public_key(root: Path | str | None = None) -> str:
    """`ssh-ed25519 AAAA... ha-wizard@host` (made on first use)."""
    return ensure_wizard_key(root).with_suffix(".pub").read_text(encoding="ascii").strip()


def login_files(answers: Any, identity_files: list[str] | tuple[str, ...] = (),
                known_hosts: list[str] | tuple[str, ...] = (),
                root: Path | str | None = None) -> tuple[list[str], list[str]]:
    """(identity files, extra known_hosts files) for a run: the explicit ones, else the answers'
    `ssh_identity` / `ssh_known_hosts` (the lab's answers name the lab's); the wizard's own key last when it
    exists."""
    ids, khs = [str(p) for p in identity_files], [str(p) for p in known_hosts]
    own_identity = getattr(answers, "ssh_identity", "")
    own_known = getattr(answers, "ssh_known_hosts", "")
    if not ids and own_identity and os.access(own_identity, os.R_OK):
        ids = [own_identity]
    if not khs and own_known and os.access(own_known, os.R_OK):
        khs = [own_known]
    own = wizard_key_path(root)
    if own.is_file() and str(own) not in ids:
        ids.append(str(own))
    return ids, khs
