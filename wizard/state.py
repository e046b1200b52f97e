"""The checkpoint: one folder per session, one JSON state file written atomically.

The state is written before and after every action (temp file, fsync, rename, fsync of the folder),
so a wizard killed at any instant leaves either the previous or the next state, never half of one.
It holds the answers and the profile, never a secret: secrets exist only in the engine's memory
and on the stdin of the commands that need them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from wizard.answers import Answers, answers_from_dict

SCHEMA_VERSION = 1
STATUSES = ("pending", "running", "ok", "failed", "skipped", "edited")
DONE = ("ok", "skipped", "edited")  # nothing left to do for these
STATE_FILE = "state.json"
PIDS_FILE = "pids.json"
TAIL_LINES = 40  # output lines kept per action: enough to see an error, bounded for the file size
TAIL_WIDTH = 400  # characters kept per line
JOURNAL_MAX = 5000  # entries kept in the run journal (a whole guide is ~200 actions)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class StateError(ValueError):
    """A session that cannot be created or read; the message says which and why."""


def state_root(root: Path | str | None = None) -> Path:
    """Where sessions live: `root`, else $HA_WIZARD_STATE_DIR (tests), else the platform's state dir."""
    if root is not None:
        return Path(root)
    env = os.environ.get("HA_WIZARD_STATE_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_state_dir("ha-wizard"))


def wizard_known_hosts(root: Path | str | None = None) -> Path:
    """The wizard's own known_hosts (keys the user trusted through the wizard)."""
    return state_root(root) / "known_hosts"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise StateError(f"session name {name!r}: use letters, digits, '.', '_' or '-' (at most 63)")
    return name


@dataclass
class ActionRecord:
    status: str = "pending"
    exit_codes: dict[str, int] = field(default_factory=dict)
    output: list[list[str]] = field(default_factory=list)  # [node, stream, text], the last TAIL_LINES
    started: str = ""
    ended: str = ""
    command_run: str = ""
    edited: bool = False
    note: str = ""  # "already done" (probe), "interrupted", "confirmed with --yes"...
    error: str = ""
    runs: int = 0  # how many times the command itself was started (probes excluded)
    remote_pids: dict[str, int] = field(default_factory=dict)  # node -> process group of the running command
    on_fail: str = ""  # when failed: the likely cause / what to check (Action.on_fail)
    figures: list[dict[str, Any]] = field(default_factory=list)  # wizard.figures.Figure.to_dict()

    def add_output(self, node: str, stream: str, text: str) -> None:
        self.output.append([node, stream, text[:TAIL_WIDTH]])
        if len(self.output) > TAIL_LINES:
            del self.output[: len(self.output) - TAIL_LINES]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        rec = cls(**known)
        if rec.status not in STATUSES:
            raise StateError(f"action status {rec.status!r} unknown")
        return rec


@dataclass
class SessionSummary:
    name: str
    profile: str
    last_action: str
    done: int
    total: int
    status: str  # "new", "in progress", "failed", "interrupted", "done"
    updated: str

    @property
    def progress(self) -> str:
        return f"{self.done}/{self.total}"


class Session:
    """One run of the wizard, resumable. Thread-safe: records are updated under `lock`."""

    def __init__(self, name: str, folder: Path, answers: Answers, profile: str, lang: str = "en") -> None:
        self.name = name
        self.folder = folder
        self.answers = answers
        self.profile = profile
        self.lang = lang
        self.created = now_iso()
        self.updated = self.created
        self.records: dict[str, ActionRecord] = {}
        # Order and sections of the plan when last run, so listings need not rebuild the plan.
        self.plan: list[dict[str, str]] = []
        # What actually ran, in order: the transcript is made from this.
        self.journal: list[dict[str, Any]] = []
        # node -> [{"address", "key_type", "fingerprint", "how"}]; the keys themselves go to known_hosts.
        self.trusted: dict[str, list[dict[str, str]]] = {}
        self.options: dict[str, Any] = {}  # e.g. the sections chosen, for --resume
        self.lock = threading.RLock()

    # -- creation / loading ----------------------------------------------------------------
    @classmethod
    def create(cls, name: str, answers: Answers, profile: str, root: Path | str | None = None,
               lang: str = "en") -> Session:
        check_name(name)
        folder = state_root(root) / "sessions" / name
        if (folder / STATE_FILE).exists():
            raise StateError(f"session {name!r} already exists (resume it, or choose another name)")
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        session = cls(name, folder, answers, profile, lang)
        session.save()
        return session

    @classmethod
    def load(cls, name: str, root: Path | str | None = None) -> Session:
        check_name(name)
        folder = state_root(root) / "sessions" / name
        path = folder / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StateError(f"session {name!r}: no such session (see `ha-wizard sessions`)") from None
        except (OSError, ValueError) as exc:
            raise StateError(f"session {name!r}: state file {path} unreadable ({exc})") from None
        return cls.from_dict(data, folder)

    @classmethod
    def from_dict(cls, data: dict[str, Any], folder: Path) -> Session:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise StateError(f"state file {folder / STATE_FILE}: schema_version {version!r}, "
                             f"this wizard reads {SCHEMA_VERSION}")
        try:
            session = cls(data["name"], folder, answers_from_dict(data["answers"]), data["profile"],
                          data.get("lang", "en"))
            session.created = data.get("created", session.created)
            session.updated = data.get("updated", session.updated)
            session.records = {k: ActionRecord.from_dict(v) for k, v in data.get("actions", {}).items()}
            session.plan = list(data.get("plan", []))
            session.journal = list(data.get("journal", []))
            session.trusted = dict(data.get("trusted_hosts", {}))
            session.options = dict(data.get("options", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError(f"state file {folder / STATE_FILE}: malformed ({exc})") from None
        try:  # best effort: the pids of commands that were running when the wizard died
            pids = json.loads((folder / PIDS_FILE).read_text(encoding="utf-8"))
            for action_id, by_node in pids.items():
                rec = session.records.get(action_id)
                if rec is not None and rec.status == "running":
                    rec.remote_pids.update({n: int(p) for n, p in by_node.items()})
        except (OSError, ValueError, TypeError, AttributeError):
            pass
        return session

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "schema_version": SCHEMA_VERSION,
                "name": self.name,
                "profile": self.profile,
                "lang": self.lang,
                "created": self.created,
                "updated": self.updated,
                "answers": self.answers.to_dict(),
                "options": self.options,
                "plan": self.plan,
                "actions": {k: asdict(v) for k, v in self.records.items()},
                "journal": self.journal[-JOURNAL_MAX:],
                "trusted_hosts": self.trusted,
            }

    # -- records -------------------------------------------------------------------------------
    def record(self, action_id: str) -> ActionRecord:
        with self.lock:
            rec = self.records.get(action_id)
            if rec is None:
                rec = self.records[action_id] = ActionRecord()
            return rec

    def status(self, action_id: str) -> str:
        rec = self.records.get(action_id)
        return rec.status if rec else "pending"

    def interrupted(self) -> list[str]:
        """Actions found `running`: the wizard died while they ran."""
        return [k for k, v in self.records.items() if v.status == "running"]

    def add_journal(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.journal.append(entry)

    def trust(self, node: str, address: str, key_type: str, fingerprint: str, how: str) -> None:
        with self.lock:
            entries = self.trusted.setdefault(node, [])
            # The first reason a key was trusted at an address is the one worth keeping.
            if not any(e["address"] == address and e["fingerprint"] == fingerprint for e in entries):
                entries.append({"address": address, "key_type": key_type, "fingerprint": fingerprint, "how": how})

    # -- persistence ---------------------------------------------------------------------------
    def save(self, durable: bool = True) -> None:
        """Atomic: the state file is always either the old or the new version, complete.

        durable=False skips the fsyncs: still atomic against the wizard being killed (the page cache
        survives a process), not against a power cut. For frequent, best-effort updates.
        """
        with self.lock:
            self.updated = now_iso()
            # No indent: json's C encoder only runs without one (10x faster on a long journal).
            text = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
            atomic_write(self.folder / STATE_FILE, text, durable=durable)

    def save_pids(self) -> None:
        """Only the process groups of the running commands, in a small file of their own: written at
        each command start, so it must be cheap (the whole state is rewritten before and after)."""
        with self.lock:
            pids = {k: dict(v.remote_pids) for k, v in self.records.items()
                    if v.status == "running" and v.remote_pids}
            atomic_write(self.folder / PIDS_FILE, json.dumps(pids), durable=False)

    def summary(self) -> SessionSummary:
        ids = [p["id"] for p in self.plan] or list(self.records)
        statuses = [self.status(i) for i in ids]
        done = sum(s in DONE for s in statuses)
        last = ""
        last_time = ""
        for action_id, rec in self.records.items():
            stamp = rec.ended or rec.started
            if stamp and stamp >= last_time:
                last_time, last = stamp, action_id
        if "running" in statuses:
            status = "interrupted"
        elif "failed" in statuses:
            status = "failed"
        elif ids and done == len(ids):
            status = "done"
        elif done == 0 and not last:
            status = "new"
        else:
            status = "in progress"
        return SessionSummary(self.name, self.profile, last, done, len(ids), status, self.updated)


def atomic_write(path: Path, text: str, mode: int = 0o600, durable: bool = True) -> None:
    """Write `text` to `path` so that a crash at any instant leaves the old or the new file."""
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if not durable:
        return
    # The rename is durable only once the directory entry is on disk.
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def list_sessions(root: Path | str | None = None) -> list[SessionSummary]:
    base = state_root(root) / "sessions"
    out: list[SessionSummary] = []
    if not base.is_dir():
        return out
    for folder in sorted(base.iterdir()):
        if not (folder / STATE_FILE).is_file():
            continue
        try:
            out.append(Session.load(folder.name, root).summary())
        except StateError as exc:
            out.append(SessionSummary(folder.name, "?", str(exc), 0, 0, "unreadable", ""))
    out.sort(key=lambda s: s.updated, reverse=True)
    return out
