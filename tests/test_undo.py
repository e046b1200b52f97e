"""Back to the snapshot, the session's side (wizard/run/undo.py): what is undone, what the session records.

The VMs here are files on this machine: the plan's "nodes" run their commands locally (a Connections
stand-in) and the undo's steps are replaced by ones that act on those files. The real thing (VBoxManage
stand-in, a built cluster, every host's files as before) is tests/test_undo_lab.py.
"""

from __future__ import annotations

import argparse
import io
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
from node_shell import NodeShell
from rich.console import Console

import wizard.run.undo as undo
from steps.model import Action, Target, Text
from wizard.base.answers import Answers
from wizard.exports.setup_script import effective_entries
from wizard.exports.transcript import render
from wizard.run.connections import Connections
from wizard.run.engine import Engine, section
from wizard.session.state import Session

q = shlex.quote


class LocalConnections(Connections):
    def get(self, node: str, address: str | None = None):  # noqa: ANN201 - a runner
        self.address(node)
        return NodeShell()


def act(i: str, cmd: str, kind: str = "run", **kw) -> Action:
    return Action(id=i, kind=kind, target=Target.node("master"), command=cmd, why=f"why {i}", **kw)


def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot_there: bool = True) -> tuple[Engine, Path]:
    """A guide in three sections (snapshot, then two that change the "VM"), all done; the undo's steps
    check the snapshot exists, then put the VM's file back."""
    vm = tmp_path / "vm"
    vm.mkdir()
    (vm / "disk").write_text("seminar 3\n")
    snap = tmp_path / "preHA"
    plan = [
        section("snapshot", "Snapshot", [act("snapshot.take", f"cp {q(str(vm / 'disk'))} {q(str(snap))}")]),
        section("nic_add", "NIC", [act("nic_add.a", f"echo nic >> {q(str(vm / 'disk'))}"),
                                   act("nic_add.b", f"echo b >> {q(str(vm / 'disk'))}")]),
        section("cluster", "Cluster", [act("cluster.c", f"echo cluster >> {q(str(vm / 'disk'))}")]),
    ]
    session = Session.create("u", Answers(profile="lab"), "lab", root=tmp_path / "state")
    engine = Engine(session, {}, None, plan=plan)
    engine.conns = LocalConnections(session.answers, engine.ssh_options, engine.trust, engine._emit)
    for sid in engine.section_ids():
        assert engine.run_section(sid)
    if not snapshot_there:
        snap.unlink()
    undo_steps = [
        act("undo.has_snapshot.vm", f"test -e {q(str(snap))}", kind="check", on_fail="take it in section 1"),
        act("undo.restore.vm", f"cp {q(str(snap))} {q(str(vm / 'disk'))}"),
        act("undo.wait_ssh.vm", "true", kind="wait", timeout=5, interval=1),
    ]
    module = SimpleNamespace(ID="undo", TITLE=Text("Back to the snapshot", "Volver a la instantánea"),
                             plan=lambda answers, profile: undo_steps)
    monkeypatch.setattr(undo, "_module", lambda: module)
    return engine, vm / "disk"


def test_undo_restores_and_the_session_knows_which_sections(tmp_path, monkeypatch) -> None:
    engine, disk = setup(tmp_path, monkeypatch)
    session = engine.session
    assert disk.read_text() == "seminar 3\nnic\nb\ncluster\n"
    preview = undo.undo_preview(engine)
    assert preview.snapshot == "preHA" and preview.sections == ["nic_add", "cluster"]
    assert preview.done == ["nic_add.a", "nic_add.b", "cluster.c"]
    assert [a.id for a in preview.actions] == ["undo.has_snapshot.vm", "undo.restore.vm", "undo.wait_ssh.vm"]

    result = undo.run_undo(engine)
    assert result.ok and result.sections == ["nic_add", "cluster"]
    assert result.reset == ["nic_add.a", "nic_add.b", "cluster.c"]
    assert disk.read_text() == "seminar 3\n"
    # The sections after the snapshot are pending again, the snapshot section stays done.
    assert session.status("snapshot.take") == "ok"
    for action_id in result.reset:
        assert session.status(action_id) == "pending" and session.record(action_id).note == 'undone: back to the snapshot "preHA"'
    assert session.summary().progress == "1/4"
    assert undo.undone_sections(session) == ["nic_add", "cluster"]
    [event] = [e for e in session.journal if e.get("event") == "undo"]
    assert event["status"] == "ok" and event["sections"] == ["nic_add", "cluster"] and event["snapshot"] == "preHA"
    # It survives a reload (the checkpoint), and the next section to run is the first undone one.
    again = Session.load("u", tmp_path / "state")
    assert again.status("nic_add.a") == "pending" and any(e.get("event") == "undo" for e in again.journal)
    assert engine.next_pending().id == "nic_add.a"

    # Done again: the setup script has each action once (the runs after the undo), the record has both.
    assert engine.run_section("nic_add")
    assert undo.undone_sections(session) == ["cluster"]
    entries, never = effective_entries(session)
    seqs = {e["action_id"]: e["seq"] for e in entries}
    assert seqs["nic_add.a"] > event["seq"] and never == ["cluster.c"]
    assert not any(e["action_id"].startswith("undo.") for e in entries)
    md = render(session, "md")
    assert md.count("### `nic_add.a`") == 2 and "## Back to the snapshot \"preHA\"" in md
    assert "`nic_add`, `cluster`" in md and "back to the snapshot: 1 time\n" in md


def test_undo_changes_nothing_when_a_snapshot_is_missing(tmp_path, monkeypatch) -> None:
    engine, disk = setup(tmp_path, monkeypatch, snapshot_there=False)
    result = undo.run_undo(engine)
    assert not result.ok and result.failed == "undo.has_snapshot.vm" and result.reset == []
    assert disk.read_text() == "seminar 3\nnic\nb\ncluster\n"
    assert engine.session.status("cluster.c") == "ok"  # nothing undone on paper either
    assert not any(e.get("event") == "undo" for e in engine.session.journal)


def test_a_second_undo_runs_its_steps_again(tmp_path, monkeypatch) -> None:
    engine, disk = setup(tmp_path, monkeypatch)
    assert undo.run_undo(engine).ok
    for sid in ("nic_add", "cluster"):
        assert engine.run_section(sid)
    assert disk.read_text() == "seminar 3\nnic\nb\ncluster\n"
    second = undo.run_undo(engine)
    assert second.ok and disk.read_text() == "seminar 3\n"
    assert len([e for e in engine.session.journal if e.get("event") == "undo"]) == 2


def test_run_undo_headless(tmp_path, monkeypatch) -> None:
    """`ha-wizard run --resume NAME --undo`: refuses without --yes when it cannot ask; with --yes goes back."""
    from wizard.cli import run as cli_run
    from wizard.cli.main import UsageError

    engine, disk = setup(tmp_path, monkeypatch)
    plan = engine.plan
    engine.close()
    monkeypatch.setenv("HA_WIZARD_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    def args(**kw) -> argparse.Namespace:
        base = dict(answers=None, profile=None, section=[], session=None, resume="u", yes=False,
                    trust_new_hosts=False, pin=[], identity=[], known_hosts=[], connect_timeout=5.0, undo=True)
        base.update(kw)
        return argparse.Namespace(**base)

    class Conns(LocalConnections):
        pass

    monkeypatch.setattr("wizard.run.engine.Connections", Conns)
    out = io.StringIO()
    with pytest.raises(UsageError, match="--yes"):
        cli_run._run(args(), plan, Console(file=out, width=200))
    assert disk.read_text() == "seminar 3\nnic\nb\ncluster\n"
    assert cli_run._run(args(yes=True), plan, Console(file=out, width=200)) == 0
    text = out.getvalue()
    assert "nic_add, cluster" in text and "undo.restore.vm" in text and "run --resume u" in text
    assert disk.read_text() == "seminar 3\n"
    assert Session.load("u", tmp_path / "state").status("cluster.c") == "pending"
