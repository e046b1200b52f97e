"""The checkpoint: one folder per session, one JSON state file written atomically.

The state is written before and after every action (temp file, fsync, rename, fsync of the folder),
so a wizard killed at any instant leaves either the previous or the next state, never half of one.
It holds the answers and the profile, never a secret: secrets exist only in the engine's memory
and on the stdin of the commands that need them.

Damage the wizard did not cause (a truncated or hand-edited file, a full disk, a file from another
version) must never cost the student the work already done:
- each save keeps the state it replaces as `state.good.json` (a hard link to the old file, so no extra
  write): a file written by the wizard, complete, one save behind at most;
- a state file that cannot be read is never overwritten: loading fails with a `StateError` saying
  what is wrong and how to put the good copy back (`ha-wizard sessions --recover NAME`);
- a save that fails (ENOSPC...) leaves the previous state file in place and says so.

One process at a time runs a session (`claim`, wizard/session/lock.py); readers never need the lock.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from wizard import __version__
from wizard.base.answers import Answers, answers_from_dict
from wizard.base.i18n import STRINGS, t
from wizard.session.files import atomic_write, file_signature
from wizard.session.lock import Holder, SessionBusy, SessionLock, holder

SCHEMA_VERSION = 1
STATUSES = ("pending", "running", "ok", "failed", "skipped", "edited", "stopped")  # stopped: by the user
DONE = ("ok", "skipped", "edited")  # nothing left to do for these
STATE_FILE = "state.json"
GOOD_FILE = "state.good.json"  # the state the last save replaced: complete, written by the wizard
PIDS_FILE = "pids.json"
TAIL_LINES = 40  # output lines kept per action: enough to see an error, bounded for the file size
TAIL_WIDTH = 400  # characters kept per line
JOURNAL_MAX = 5000  # entries kept in the run journal (a whole guide is ~200 actions)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class StateError(ValueError):
    """A session that cannot be created, read, saved or run; the message says which, why, and what to do.

    Raised with a catalogue key (wizard/i18n.py) and its values: `str()` is the English text, `text(lang)`
    the user's language.
    """

    def __init__(self, key: str, **values: Any) -> None:
        self.key = key
        self.values = values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        values = {k: t(v, lang) if isinstance(v, Key) else v for k, v in self.values.items()}
        return t(self.key, lang, **values)


class Key(str):
    """A message value that is itself a catalogue key (translated with the message)."""


class SessionInUse(StateError):
    """Another process runs the session (wizard/session/lock.py)."""

    def __init__(self, name: str, who: Holder | None) -> None:
        self.holder = who
        if who is None:
            super().__init__("state.in_use_unknown", name=name)
        else:
            super().__init__("state.in_use", name=name, pid=who.pid, host=who.host, since=who.since_short,
                             front=front_key(who.front))


def front_key(front: str) -> Key | str:
    """"run" -> how the user knows it ("`ha-wizard run`"), through the catalogue."""
    key = f"state.front.{front}"
    return Key(key) if key in STRINGS else front


class SaveFailed(StateError):
    """The checkpoint could not be written; the previous one is still on disk."""


def state_root(root: Path | str | None = None) -> Path:
    """Where sessions live: `root`, else $HA_WIZARD_STATE_DIR (tests), else the platform's state dir."""
    if root is not None:
        return Path(root)
    env = os.environ.get("HA_WIZARD_STATE_DIR")
    if env:
        return Path(env)
    # appauthor=False: on Windows %LOCALAPPDATA%\ha-wizard, not ha-wizard\ha-wizard (no vendor folder).
    return Path(platformdirs.user_state_dir("ha-wizard", appauthor=False))


def wizard_known_hosts(root: Path | str | None = None) -> Path:
    """The wizard's own known_hosts (keys the user trusted through the wizard)."""
    return state_root(root) / "known_hosts"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name or ""):
        raise StateError("state.bad_name", name=name)
    return name


def session_folder(name: str, root: Path | str | None = None) -> Path:
    return state_root(root) / "sessions" / check_name(name)


def _damaged(name: str, folder: Path, problem: str) -> StateError:
    """The error for a state file that cannot be used, with the way back to the last good copy."""
    good = folder / GOOD_FILE
    if _good_copy_usable(good):
        return StateError("state.damaged", name=name, path=folder / STATE_FILE, problem=problem, good=good)
    return StateError("state.damaged_no_copy", name=name, path=folder / STATE_FILE, problem=problem)


def _good_copy_usable(path: Path) -> bool:
    try:
        Session.from_dict(json.loads(path.read_text(encoding="utf-8")), path.parent)
    except (OSError, ValueError):
        return False
    return True


@dataclass
class ActionRecord:
    status: str = "pending"
    exit_codes: dict[str, int] = field(default_factory=dict)
    output: list[list[str]] = field(default_factory=list)  # [node, stream, text], the last TAIL_LINES
    started: str = ""
    ended: str = ""
    command_run: str = ""
    edited: bool = False
    note: str = ""  # "already done" (probe), "interrupted", "confirmed with --yes"... (English)
    error: str = ""
    note_es: str = ""  # the same in Spanish (wizard.base.i18n.pick shows the one the user reads)
    error_es: str = ""
    runs: int = 0  # how many times the command itself was started (probes excluded)
    remote_pids: dict[str, int] = field(default_factory=dict)  # node -> process group of the running command
    on_fail: str = ""  # when failed: the likely cause / what to check (Action.on_fail)
    on_fail_es: str = ""
    figures: list[dict[str, Any]] = field(default_factory=list)  # wizard.base.figures.Figure.to_dict()
    warning: str = ""  # a warn-only check that did not pass: what it means
    warning_es: str = ""
    # Nodes this action moves (wizard/run/moves.py), written before it starts: node -> {"old", "new" (ways in),
    # "vm", "tags" (its detached runs)}. A resume of the action looks for the node at both ways.
    moves: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_output(self, node: str, stream: str, text: str, text_es: str = "") -> None:
        # The wizard's own lines ("info") keep their Spanish text as a 4th item.
        self.output.append([node, stream, text[:TAIL_WIDTH], text_es[:TAIL_WIDTH]] if text_es
                           else [node, stream, text[:TAIL_WIDTH]])
        if len(self.output) > TAIL_LINES:
            del self.output[: len(self.output) - TAIL_LINES]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        rec = cls(**known)
        for name, value in known.items():
            expected = type(getattr(_RECORD_DEFAULTS, name))
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise TypeError(f"action field {name} is a {type(value).__name__}, not a {expected.__name__}")
        if rec.status not in STATUSES:
            raise ValueError(f"action status {rec.status!r} unknown")
        return rec


_RECORD_DEFAULTS = ActionRecord()


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{where} is a {type(value).__name__}, not an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{where} is a {type(value).__name__}, not a list")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{where} is a {type(value).__name__}, not a string")
    return value


@dataclass
class SessionSummary:
    name: str
    profile: str
    last_action: str
    done: int
    total: int
    status: str  # "new", "in progress", "failed", "interrupted", "done"
    updated: str
    in_use: Holder | bool | None = None  # who runs it now (wizard/session/lock.py), None when nobody
    problem: str = ""  # unreadable: why, in English (StateError.text(lang) for other languages)
    error: StateError | None = None
    # The last action in words (its title, English and Spanish; empty for a session saved before titles) and its
    # section: what a list of sessions shows, never the id.
    last_title: tuple[str, str] = ("", "")
    last_section: str = ""

    def last_step(self, lang: str) -> str:
        """The last action's title in `lang`, else "" (the caller names its section instead)."""
        en, es = self.last_title
        return (es or en) if lang == "es" else en

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
        # What actions found on the nodes (Action.facts): fact -> node -> value, e.g. the pcs version.
        # The plan is built for them (steps.session_plan).
        self.facts: dict[str, dict[str, str]] = {}
        self.lock = threading.RLock()
        self._runner: SessionLock | None = None  # held while this process runs the session
        self._written: tuple[int, int, int] | None = None  # the state file as this process last saw it

    # -- creation / loading ----------------------------------------------------------------
    @classmethod
    def create(cls, name: str, answers: Answers, profile: str, root: Path | str | None = None,
               lang: str = "en", claim: str = "") -> Session:
        """A new session; with `claim` ("run", "app", "plain") this process runs it (see `claim`)."""
        folder = session_folder(name, root)
        if (folder / STATE_FILE).exists() or (folder / GOOD_FILE).exists():
            raise StateError("state.exists", name=name)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        except OSError as exc:
            raise SaveFailed("state.save_failed", name=name, path=folder, error=exc.strerror or exc,
                             fix=_fix_for(exc)) from None
        session = cls(name, folder, answers, profile, lang)
        if claim:
            session.claim(claim)
        try:
            session.save()
        except StateError:
            session.release()
            raise
        return session

    @classmethod
    def load(cls, name: str, root: Path | str | None = None, claim: str = "") -> Session:
        """Read a session. With `claim`, take the session first (SessionInUse when another process runs
        it) so that the state read is the one this process goes on from."""
        folder = session_folder(name, root)
        if not folder.is_dir():
            raise StateError("state.no_such", name=name, folder=folder)
        lock = SessionLock(folder)
        if claim:
            try:
                lock.acquire(claim)
            except SessionBusy as exc:
                raise SessionInUse(name, exc.holder) from None
        try:
            session = cls._read(name, folder)
        except BaseException:
            lock.release()
            raise
        session._runner = lock if claim else None
        return session

    @classmethod
    def _read(cls, name: str, folder: Path) -> Session:
        path = folder / STATE_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if _good_copy_usable(folder / GOOD_FILE):
                raise StateError("state.missing_with_copy", name=name, path=path, good=folder / GOOD_FILE) from None
            raise StateError("state.no_such", name=name, folder=folder) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _damaged(name, folder, str(getattr(exc, "strerror", None) or exc)) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _damaged(name, folder, f"not complete JSON: {exc}") from None
        session = cls.from_dict(data, folder)
        session._written = file_signature(path)
        return session

    @classmethod
    def from_dict(cls, data: dict[str, Any], folder: Path) -> Session:
        name = folder.name
        if not isinstance(data, dict):
            raise _damaged(name, folder, f"a JSON {type(data).__name__} instead of an object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            written_by = str(data.get("wizard_version") or "?")
            if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
                raise StateError("state.newer", name=name, path=folder / STATE_FILE, found=version,
                                 expected=SCHEMA_VERSION, version=written_by, ours=__version__)
            if isinstance(version, int) and not isinstance(version, bool) and 0 <= version < SCHEMA_VERSION:
                raise StateError("state.older", name=name, path=folder / STATE_FILE, found=version,
                                 expected=SCHEMA_VERSION, version=written_by, ours=__version__)
            raise _damaged(name, folder, f"schema_version {version!r} is not a format version")
        try:
            session = cls(_str(data["name"], "name"), folder, answers_from_dict(_dict(data["answers"], "answers")),
                          _str(data["profile"], "profile"), _str(data.get("lang", "en"), "lang"))
            session.created = _str(data.get("created", session.created), "created")
            session.updated = _str(data.get("updated", session.updated), "updated")
            session.records = {_str(k, "actions"): ActionRecord.from_dict(_dict(v, f"actions.{k}"))
                               for k, v in _dict(data.get("actions", {}), "actions").items()}
            session.plan = [_dict(p, "plan") for p in _list(data.get("plan", []), "plan")]
            session.journal = [_dict(e, "journal") for e in _list(data.get("journal", []), "journal")]
            session.trusted = {k: [_dict(e, f"trusted_hosts.{k}") for e in _list(v, f"trusted_hosts.{k}")]
                               for k, v in _dict(data.get("trusted_hosts", {}), "trusted_hosts").items()}
            session.options = _dict(data.get("options", {}), "options")
            session.facts = {_str(k, "facts"): {_str(n, f"facts.{k}"): _str(v, f"facts.{k}.{n}")
                                                 for n, v in _dict(by_node, f"facts.{k}").items()}
                             for k, by_node in _dict(data.get("facts", {}), "facts").items()}
        except StateError:
            raise
        except KeyError as exc:
            raise _damaged(name, folder, f"{exc.args[0]} is missing") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise _damaged(name, folder, str(exc)) from None
        try:  # best effort: the pids of commands that were running when the wizard died
            pids = json.loads((folder / PIDS_FILE).read_text(encoding="utf-8"))
            for action_id, by_node in pids.items():
                rec = session.records.get(action_id)
                if rec is not None and rec.status == "running":
                    rec.remote_pids.update({n: int(p) for n, p in by_node.items()})
        except (OSError, ValueError, TypeError, AttributeError):
            pass
        return session

    # -- who runs it ---------------------------------------------------------------------------
    def claim(self, front: str) -> None:
        """Make this process the session's only runner until `release` or exit (SessionInUse if not)."""
        if self._runner is not None and self._runner.held:
            return
        lock = SessionLock(self.folder)
        try:
            lock.acquire(front)
        except SessionBusy as exc:
            raise SessionInUse(self.name, exc.holder) from None
        self._runner = lock

    def release(self) -> None:
        if self._runner is not None:
            self._runner.release()
            self._runner = None

    @property
    def claimed(self) -> bool:
        return self._runner is not None and self._runner.held

    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "schema_version": SCHEMA_VERSION,
                "wizard_version": __version__,  # for the message when another version cannot read it
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
                "facts": self.facts,
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

    def set_fact(self, name: str, node: str, value: str) -> bool:
        """Record a fact found on a node; True when it is new or changed."""
        with self.lock:
            by_node = self.facts.setdefault(name, {})
            if by_node.get(node) == value:
                return False
            by_node[node] = value
            return True

    def trust(self, node: str, address: str, key_type: str, fingerprint: str, how: str) -> None:
        with self.lock:
            entries = self.trusted.setdefault(node, [])
            # The first reason a key was trusted at an address is the one worth keeping.
            if not any(e["address"] == address and e["fingerprint"] == fingerprint for e in entries):
                entries.append({"address": address, "key_type": key_type, "fingerprint": fingerprint, "how": how})

    # -- persistence ---------------------------------------------------------------------------
    def save(self, durable: bool = True) -> None:
        """Atomic: the state file is always either the old or the new version, complete.

        The version it replaces becomes the good copy (GOOD_FILE) when this process wrote or read it
        itself: a file changed by someone else meanwhile is not trusted as good.
        durable=False skips the fsyncs: still atomic against the wizard being killed (the page cache
        survives a process), not against a power cut. For frequent, best-effort updates.
        Raises SaveFailed (the old file untouched) when the file cannot be written.
        """
        with self.lock:
            self.updated = now_iso()
            # No indent: json's C encoder only runs without one (10x faster on a long journal).
            text = json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
            path = self.folder / STATE_FILE
            for attempt in (1, 2):
                try:
                    keep = self.folder / GOOD_FILE if file_signature(path) == self._written else None
                    atomic_write(path, text, durable=durable, keep=keep)
                    break
                except FileNotFoundError:
                    if attempt == 2 or self.folder.exists():
                        raise self._save_failed(FileNotFoundError(2, os.strerror(2))) from None
                    # The folder was removed under a running session: everything is still in memory.
                    try:
                        self.folder.mkdir(parents=True, exist_ok=True)
                        os.chmod(self.folder, 0o700)
                        if self._runner is not None:
                            self._runner.ensure()
                    except (OSError, SessionBusy) as exc:
                        raise self._save_failed(exc) from None
                except OSError as exc:
                    raise self._save_failed(exc) from None
            self._written = file_signature(path)

    def _save_failed(self, exc: BaseException) -> SaveFailed:
        if isinstance(exc, SessionBusy):
            return SaveFailed("state.save_taken", name=self.name, path=self.folder)
        error = getattr(exc, "strerror", None) or str(exc)
        return SaveFailed("state.save_failed", name=self.name, path=self.folder / STATE_FILE, error=error,
                          fix=_fix_for(exc))

    def save_pids(self) -> None:
        """Only the process groups of the running commands, in a small file of their own: written at
        each command start, so it must be cheap (the whole state is rewritten before and after).
        Best effort: without it a resume waits for the interrupted command by its probe alone."""
        with self.lock:
            pids = {k: dict(v.remote_pids) for k, v in self.records.items()
                    if v.status == "running" and v.remote_pids}
            try:
                atomic_write(self.folder / PIDS_FILE, json.dumps(pids), durable=False)
            except OSError:
                pass

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
        entry = next((p for p in self.plan if p.get("id") == last), {})
        title = (str(entry.get("title", "")), str(entry.get("title_es", "")))
        section = str(entry.get("section", "")) or last.split(".", 1)[0]
        return SessionSummary(self.name, self.profile, last, done, len(ids), status, self.updated,
                              last_title=title, last_section=section if last else "")


def _fix_for(exc: BaseException) -> Key:
    """What the user can do about a failed write."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return Key("state.fix_space")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Key("state.fix_access")
    return Key("state.fix_other")


def list_sessions(root: Path | str | None = None) -> list[SessionSummary]:
    """Every session, readable or not (a damaged one is listed as "unreadable" with its problem), and who
    runs it now. Takes no lock: listing is allowed while a session runs."""
    base = state_root(root) / "sessions"
    out: list[SessionSummary] = []
    if not base.is_dir():
        return out
    for folder in sorted(base.iterdir()):
        if not folder.is_dir() or not _NAME.match(folder.name):
            continue
        if not any((folder / f).exists() for f in (STATE_FILE, GOOD_FILE)):
            continue  # a folder being created, or not a session
        in_use = holder(folder)
        try:
            summary = Session.load(folder.name, root).summary()
        except StateError as exc:
            summary = SessionSummary(folder.name, "?", "", 0, 0, "unreadable", "", problem=str(exc), error=exc)
        summary.in_use = in_use
        out.append(summary)
    out.sort(key=lambda s: s.updated, reverse=True)
    return out


def recover(name: str, root: Path | str | None = None) -> tuple[Session, Path | None]:
    """Put the last good copy back as the session's state; the damaged file is kept beside it, renamed.

    Returns the recovered session and where the damaged file went (None when there was none)."""
    folder = session_folder(name, root)
    if not folder.is_dir():
        raise StateError("state.no_such", name=name, folder=folder)
    lock = SessionLock(folder)
    try:
        lock.acquire("recover")
    except SessionBusy as exc:
        raise SessionInUse(name, exc.holder) from None
    try:
        good = folder / GOOD_FILE
        try:
            Session.from_dict(json.loads(good.read_text(encoding="utf-8")), folder)
        except (OSError, ValueError) as exc:
            raise StateError("state.no_good_copy", name=name, path=good, problem=str(exc)) from None
        aside = None
        if (folder / STATE_FILE).exists():
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            aside = folder / f"state.damaged-{stamp}.json"
            os.replace(folder / STATE_FILE, aside)
        shutil.copyfile(good, folder / STATE_FILE)
        os.chmod(folder / STATE_FILE, 0o600)
        return Session.load(name, root), aside
    finally:
        lock.release()


def delete_session(name: str, root: Path | str | None = None) -> None:
    """Remove a session's folder for good: its checkpoint, good copy and journal. Refused (SessionInUse)
    while a process runs it; the lock is held while the folder goes, so no runner starts on half of it."""
    check_name(name)
    folder = session_folder(name, root)
    if not folder.is_dir():
        raise StateError("state.no_such", name=name, folder=folder)
    lock = SessionLock(folder)
    try:
        lock.acquire("delete")
    except SessionBusy as exc:
        raise SessionInUse(name, exc.holder) from None
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise StateError("state.delete_failed", name=name, error=exc.strerror or exc) from None
    finally:
        lock.release()
