"""Checkpoint state: round trip, atomic writes under SIGKILL, schema check, listing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wizard.base.answers import Answers
from wizard.session import state as state_mod
from wizard.session.state import STATE_FILE, Session, StateError, list_sessions

ROOT = Path(__file__).resolve().parents[1]


def test_round_trip_keeps_records_journal_and_trust(tmp_path: Path) -> None:
    answers = Answers(profile="lab", cluster_name="c_one")
    s = Session.create("s1", answers, "lab", root=tmp_path)
    rec = s.record("snapshot.take.master")
    rec.status, rec.exit_codes = "ok", {"local": 0}
    for i in range(100):
        rec.add_output("local", "stdout", f"line {i} " + "x" * 1000)
    s.add_journal({"seq": 1, "action_id": "snapshot.take.master"})
    s.trust("master", "10.0.0.1", "ssh-ed25519", "SHA256:abc", "pinned")
    s.save()
    back = Session.load("s1", root=tmp_path)
    assert back.answers.cluster_name == "c_one" and back.profile == "lab"
    r = back.record("snapshot.take.master")
    assert r.status == "ok" and r.exit_codes == {"local": 0}
    # Bounded output: the tail only, each line cut.
    assert len(r.output) == state_mod.TAIL_LINES and r.output[-1][2].startswith("line 99")
    assert max(len(line[2]) for line in r.output) <= state_mod.TAIL_WIDTH
    assert back.journal == [{"seq": 1, "action_id": "snapshot.take.master"}]
    assert back.trusted["master"][0]["fingerprint"] == "SHA256:abc"
    data = json.loads((tmp_path / "sessions" / "s1" / STATE_FILE).read_text())
    assert data["schema_version"] == state_mod.SCHEMA_VERSION
    assert oct((tmp_path / "sessions" / "s1" / STATE_FILE).stat().st_mode & 0o777) == "0o600"


def test_bad_names_versions_and_duplicates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="session name"):
        Session.create("../evil", Answers(), "lab", root=tmp_path)
    Session.create("dup", Answers(), "lab", root=tmp_path)
    with pytest.raises(StateError, match="already exists"):
        Session.create("dup", Answers(), "lab", root=tmp_path)
    with pytest.raises(StateError, match="no such session"):
        Session.load("nope", root=tmp_path)
    path = tmp_path / "sessions" / "dup" / STATE_FILE
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(StateError, match="written by a newer ha-wizard .*format 99"):
        Session.load("dup", root=tmp_path)
    path.write_text("{not json")
    with pytest.raises(StateError, match="is damaged .not complete JSON"):
        Session.load("dup", root=tmp_path)


def test_failed_write_leaves_old_state_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Session.create("s", Answers(), "lab", root=tmp_path)
    s.record("a").status = "ok"
    s.save()
    before = (s.folder / STATE_FILE).read_text()

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(state_mod.os, "replace", boom)
    s.record("a").status = "failed"
    with pytest.raises(state_mod.SaveFailed, match="No space left on device.*Free some disk space"):
        s.save()
    assert (s.folder / STATE_FILE).read_text() == before
    # The good copy (the state before the last save) and the state; no temp file.
    assert sorted(p.name for p in s.folder.iterdir()) == [state_mod.GOOD_FILE, STATE_FILE]


_WRITER = """
import sys
from wizard.base.answers import Answers
from wizard.session.state import Session
s = Session.create("k", Answers(), "lab", root=sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    i += 1
    rec = s.record(f"a{i % 50}")
    rec.status = "ok"
    rec.add_output("local", "stdout", "y" * 300)
    s.add_journal({"seq": i, "pad": "z" * 200})
    s.save()
"""


def test_sigkill_at_any_instant_leaves_a_readable_state(tmp_path: Path) -> None:
    """Kill a process saving in a tight loop at 12 random-ish instants: the state always loads."""
    for n in range(12):
        root = tmp_path / f"r{n}"
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(root)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.02 + 0.013 * n)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        loaded = Session.load("k", root=root)  # never half a file
        assert loaded.name == "k"
        leftovers = [p.name for p in (root / "sessions" / "k").iterdir()
                     if p.name not in (STATE_FILE, state_mod.GOOD_FILE)]
        # A temp file may survive a kill between mkstemp and rename; it is never the state file.
        assert all(p.endswith(".tmp") for p in leftovers)
        if (root / "sessions" / "k" / state_mod.GOOD_FILE).exists():  # after the second save: complete too
            json.loads((root / "sessions" / "k" / state_mod.GOOD_FILE).read_text())


def test_list_sessions_reports_progress_and_interrupted(tmp_path: Path) -> None:
    s = Session.create("one", Answers(), "lab", root=tmp_path)
    s.plan = [{"id": f"x.{i}", "section": "x"} for i in range(4)]
    s.record("x.0").status = "ok"
    s.record("x.1").status = "running"
    s.record("x.1").started = "2026-01-01T00:00:00"
    s.save()
    t = Session.create("two", Answers(), "rhel9", root=tmp_path)
    t.plan = [{"id": "y.0", "section": "y"}]
    t.record("y.0").status = "skipped"
    t.save()
    rows = {r.name: r for r in list_sessions(tmp_path)}
    assert rows["one"].progress == "1/4" and rows["one"].status == "interrupted"
    assert rows["one"].last_action == "x.1"
    assert rows["two"].status == "done" and rows["two"].profile == "rhel9"
