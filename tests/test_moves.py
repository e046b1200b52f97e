"""A node that may have moved is looked for where it may be (wizard/run/moves.py), and check's channels stay within
what sshd allows.

Pure parts (the moves read off the plan, the test-only kill hook, the channel gate) run anywhere; the rest runs the
engine against a real OpenSSH sshd on loopback addresses (as tests/test_ssh_runner.py): 127.0.0.1 stands for
master's way in, 127.0.0.2 for standby's, and addresses where nothing listens for a way that does not answer.
An interrupted run is what a killed wizard leaves in its checkpoint: the action `running`, the move it recorded
before it started, and on the node the files of the detached change it started.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_ssh_helpers import LoopbackSSHD, can_run_sshd, clean_home_fixture, sshd_fixture  # noqa: F401 - fixtures

from steps import full_plan
from steps.access import IDENTIFIES, NODE_RETURNS
from steps.checks import ANY_DIRECTOR, CheckPlan, Probe
from steps.model import Action, Target
from steps.profiles import get_profile
from wizard.base.answers import Answers, Director, Server
from wizard.run import faults
from wizard.run import node as node_module
from wizard.run.channels import ChannelGate
from wizard.run.engine import Engine, section
from wizard.run.hostkeys import fingerprint
from wizard.run.moves import Way, plan_moves, way_in
from wizard.run.ssh import SSHConnection, SSHOptions, detached_wrapper, resolve_endpoint
from wizard.session.state import Session

# -- the moves, read off the plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["lab", "rhel7", "rhel9", "debian12", "debian13"])
def test_every_action_that_changes_how_a_node_is_reached_is_a_move(profile: str) -> None:
    answers = Answers(profile=profile)
    plan = full_plan(answers, get_profile(profile))
    moves = {aid: m for _, acts in plan for aid, m in plan_moves(acts, answers).items()}
    actions = [a for _, acts in plan for a in acts]
    # Every network change moves its node; every node coming back was started by a move naming its VM.
    assert {a.id for a in actions if a.disrupts_network} <= set(moves)
    returns = [a for a in actions if NODE_RETURNS in a.tags]
    assert returns and all(any(m.node == w.target.nodes[0] and m.old is None for ms in moves.values() for m in ms)
                           for w in returns)
    # The clone's network restart: from master's forward (where the clone boots) to standby's own.
    [clone] = moves["networking.restart_network.standby"]
    assert (clone.old.address, clone.new.address) == ("127.0.0.1:2201", "127.0.0.1:2202")
    assert (clone.old.guest, clone.new.guest) == ("192.168.1.101:22", "192.168.1.102:22")
    assert [w.address for w in clone.ways] == ["127.0.0.1:2202", "127.0.0.1:2201"]  # the new way first
    [first_boot] = moves["standby_clone.startvm.standby"]
    assert first_boot.old is None and first_boot.new.address == "127.0.0.1:2201" and first_boot.vm == "standby"
    # The gateway change: a server's network restarted, reached through the directors before and after.
    [gw] = moves["gateway.restart_network.cluster2"]
    assert gw.old == gw.new and gw.new.kind == "jump" and gw.new.jump == "master, standby"
    assert gw.ways == [gw.new]
    # Only what moves: no check, write or wait is one.
    assert all(a.kind == "run" for a in actions if a.id in moves)


def test_undo_restores_and_starts_every_vm_and_waits_for_each_node_to_come_back() -> None:
    import steps.undo

    answers = Answers()
    moves = plan_moves(steps.undo.plan(answers, get_profile("lab")), answers)
    assert {m.node for m in moves["undo.start"]} == {"master", "cluster2", "cluster3", "cluster4"}
    assert set(moves) == {"undo.start"}


def test_a_way_says_where_it_leads_in_both_languages() -> None:
    answers = Answers()
    via = way_in(answers, "standby", answers.master.address)
    assert via == Way("127.0.0.1:2201", "forward", "192.168.1.101:22")
    assert via.describe().en == "127.0.0.1:2201 (the port forward to 192.168.1.101:22)"
    assert via.describe().es == "127.0.0.1:2201 (el reenvío de puerto a 192.168.1.101:22)"
    server = way_in(answers, "cluster3")
    assert server.describe().en == "10.0.100.13 (through master, standby)"
    assert Way.from_dict(server.to_dict()) == server


# -- the test-only kill hook -------------------------------------------------------------------------------------

HOOK = "from wizard.run import faults; faults.point('a.b', 'sent'); faults.point('a.b', 'done'); print('alive')"


def test_the_kill_hook_is_inert_unless_set_and_fires_each_moment_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != faults.ENV}
    root = str(Path(__file__).resolve().parents[1])
    run = subprocess.run([sys.executable, "-c", HOOK], env={**env, "PYTHONPATH": root}, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "alive"
    points = tmp_path / "kill-at"
    points.write_text("x.y sent\na.b done\n")
    env = {**env, "PYTHONPATH": root, faults.ENV: str(points)}
    first = subprocess.run([sys.executable, "-c", HOOK], env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == -9 and "alive" not in first.stdout  # killed at `a.b done`
    assert points.read_text() == "x.y sent\n"  # that moment fired, the other one is left
    again = subprocess.run([sys.executable, "-c", HOOK], env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and again.stdout.strip() == "alive"  # the resumed run goes past it


# -- the channel gate ------------------------------------------------------------------------------------------


def test_the_gate_holds_at_most_its_limit_and_comes_down_to_what_the_node_granted() -> None:
    gate = ChannelGate(limit=4)
    for _ in range(2):  # two channels granted
        assert gate.acquire(0.1)
        gate.opened()
    assert gate.acquire(0.1)  # a third: refused by the node
    gate.refused()
    gate.release()
    assert gate.limit == 2
    t0 = time.monotonic()
    assert not gate.acquire(0.2) and time.monotonic() - t0 >= 0.2  # waits for a close, bounded
    gate.closed()
    assert gate.acquire(0.1)  # one closed: room again
    gate.opened()
    gate.refused()  # refused with two open, as many as it granted: a close not read there yet; the limit stays
    assert gate.limit == 2 and gate.best == 2


# -- the engine, on a real sshd --------------------------------------------------------------------------------

needs_sshd = pytest.mark.skipif(not can_run_sshd(), reason="needs root and OpenSSH's sshd")


def answers_for(server: LoopbackSSHD) -> Answers:
    a = Answers(profile="lab", ssh_port=server.port)
    a.directors = [Director("master", "master-cr", "master", "127.0.0.1", "10.0.100.1", "10.0.200.1",
                            "08:00:27:01:01:C1", ssh_host="127.0.0.1"),
                   Director("standby", "standby-cr", "standby", "127.0.0.2", "10.0.100.2", "10.0.200.2",
                            "08:00:27:01:01:C2", ssh_host="127.0.0.2")]
    a.servers = [Server("cluster2", "cluster2", "127.0.0.3")]
    return a


def engine_with(tmp_path: Path, server: LoopbackSSHD, actions: list[Action], prepare=None) -> tuple[Engine, list]:
    """An engine on a session that already knows standby's host key (it was reached before the move, as the clone
    is at master's address); `prepare(session)` sets up what an interrupted run left."""
    session = Session.create("s", answers_for(server), "lab", root=tmp_path / "state")
    fp = fingerprint(__import__("paramiko").Ed25519Key.from_private_key_file(str(server.host_key)))
    session.trust("standby", f"127.0.0.1:{server.port}", "ssh-ed25519", fp, "test")
    if prepare is not None:
        prepare(session)
    session.save()
    known = tmp_path / "kh"
    known.write_text(server.known_hosts_line("127.0.0.1"))  # only master's address: other ways are new keys
    events: list = []
    engine = Engine(session, {}, None, events.append, plan=[section("t", "Test", actions)],
                    identity_files=[str(server.client_key)], known_hosts=[known])
    engine.ssh_options.allow_agent = engine.ssh_options.look_for_keys = False
    return engine, events


def move_action(server: LoopbackSSHD, command: str, old: str, new: str, **kw) -> Action:
    return Action(id="t.restart", kind="run", target=Target.node("standby"), command=command, why="test",
                  disrupts_network=True, via_address=f"{old}:{server.port}", reconnect_to=f"{new}:{server.port}",
                  timeout=kw.pop("timeout", 60), **kw)


def interrupted(server: LoopbackSSHD, old: str, new: str, tags: list[str], seconds_ago: float = 5.0):
    """What a wizard killed inside the move leaves in its checkpoint."""
    def prepare(session: Session) -> None:
        rec = session.record("t.restart")
        rec.status = "running"
        rec.started = (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds")
        rec.moves = {"standby": {"old": Way(f"{old}:{server.port}").to_dict(),
                                 "new": Way(f"{new}:{server.port}").to_dict(), "vm": "standby", "tags": tags}}
    return prepare


def files(tag: str) -> tuple[Path, Path]:
    return Path(f"/tmp/ha-wizard-{tag}.log"), Path(f"/tmp/ha-wizard-{tag}.rc")


@needs_sshd
@pytest.mark.lab
def test_a_resume_finds_the_node_where_the_change_took_it_and_takes_its_exit_status(tmp_path, sshd, clean_home
                                                                                   ) -> None:
    """Killed after the change was sent; it finished while the wizard was away: the node is at its new way only
    (the old one does not answer). The resume finds it there, reads the change's own exit status, runs nothing
    again, and the sh export keeps the change (sent at the old way, waited for at the new one)."""
    marker = tmp_path / "ran"
    tag = f"t.restart-standby-{uuid.uuid4().hex[:8]}"
    log, rc = files(tag)
    log.write_text("network restarted\n")
    rc.write_text("0\n")
    action = move_action(sshd, f"echo again >> {marker}", "127.0.0.9", "127.0.0.2")
    engine, events = engine_with(tmp_path, sshd, [action], interrupted(sshd, "127.0.0.9", "127.0.0.2", [tag]))
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.restart") == "ok", engine.session.record("t.restart").error
        took = time.monotonic() - t0
    finally:
        engine.close()
    rec = engine.session.record("t.restart")
    assert not marker.exists()  # not run again
    assert rec.note == "it finished while the wizard was not running (exit 0): not run again"
    assert not log.exists() and not rc.exists()
    lines = [e.text for e in events if getattr(e, "text", None)]
    assert "network restarted" in lines
    assert any(f"standby found at 127.0.0.2:{sshd.port}" in t for t in lines)
    assert took < 15, took
    [entry] = [e for e in engine.session.journal if e["status"] == "ok"]
    ep = entry["endpoints"]["standby"]
    assert (ep["address"], ep["found_at"], ep["reconnect"]) == ("127.0.0.9", f"127.0.0.2:{sshd.port}",
                                                                 f"127.0.0.2:{sshd.port}")
    from wizard.exports.transcript import render
    script = render(engine.session, "sh")
    block = script[script.index("# --- t.restart"):]
    assert "begin t.restart" in block and "nohup setsid" in block  # run in the replay, not commented out
    assert f"-p {sshd.port} root@127.0.0.9 " in block and f"root@127.0.0.2 'cat /tmp/ha-wizard-{tag}.rc" in block


@needs_sshd
@pytest.mark.lab
def test_a_resume_that_finds_the_change_still_running_waits_for_it_and_starts_nothing(tmp_path, sshd, clean_home
                                                                                      ) -> None:
    marker = tmp_path / "ran"
    tag = f"t.restart-standby-{uuid.uuid4().hex[:8]}"
    # The change the killed wizard started, still running on the node (the same wrapper the engine sends).
    subprocess.run(["sh", "-c", detached_wrapper(f"sleep 3; echo first >> {marker}", tag)], check=True, timeout=10)
    action = move_action(sshd, f"echo again >> {marker}", "127.0.0.9", "127.0.0.2")
    engine, events = engine_with(tmp_path, sshd, [action], interrupted(sshd, "127.0.0.9", "127.0.0.2", [tag]))
    try:
        assert engine.run_action("t.restart") == "ok", engine.session.record("t.restart").error
    finally:
        engine.close()
    assert marker.read_text() == "first\n"
    texts = [e.text for e in events if getattr(e, "text", None)]
    assert any("still running: waiting for it" in t for t in texts)


@needs_sshd
@pytest.mark.lab
def test_a_node_at_neither_way_fails_naming_both_and_its_vm(tmp_path, sshd, clean_home, monkeypatch) -> None:
    monkeypatch.setattr(node_module, "RESUME_LOOK_MIN", 3.0)
    action = move_action(sshd, "true", "127.0.0.9", "127.0.0.8")
    engine, _ = engine_with(tmp_path, sshd, [action],
                            interrupted(sshd, "127.0.0.9", "127.0.0.8", ["t.restart-standby-gone"], seconds_ago=3600))
    engine.session.lang = "es"
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.restart") == "failed"
        took = time.monotonic() - t0
    finally:
        engine.close()
    rec = engine.session.record("t.restart")
    assert f"standby answers neither where t.restart moves it, 127.0.0.8:{sshd.port}" in rec.error
    assert f"nor where it was before, 127.0.0.9:{sshd.port}" in rec.error
    assert 'Look at the VM "standby" in VirtualBox' in rec.error and "inventory" not in rec.error
    assert "Mira la VM \"standby\" en VirtualBox" in rec.error_es
    assert "Connection refused" in rec.error  # why each way did not answer
    assert took < 20, took  # the change started an hour ago: only the short look


@needs_sshd
@pytest.mark.lab
def test_a_change_that_fails_is_read_back_where_the_node_stayed(tmp_path, sshd, clean_home) -> None:
    """The same run: the network change fails and the node keeps its old way (the new one never answers): its exit
    status is read there at once instead of waiting for the new way until the timeout."""
    action = move_action(sshd, "echo broken config; exit 3", "127.0.0.1", "127.0.0.8", timeout=60)
    engine, _ = engine_with(tmp_path, sshd, [action])
    try:
        t0 = time.monotonic()
        assert engine.run_action("t.restart") == "failed"
        took = time.monotonic() - t0
    finally:
        engine.close()
    rec = engine.session.record("t.restart")
    assert rec.exit_codes == {"standby": 3} and took < 20, (took, rec.error)
    assert any("broken config" in line[2] for line in rec.output)
    # Where it was sent and where it was looked for after, as recorded before it started.
    assert rec.moves["standby"]["old"]["address"] == f"127.0.0.1:{sshd.port}"
    assert rec.moves["standby"]["new"]["address"] == f"127.0.0.8:{sshd.port}"


@needs_sshd
@pytest.mark.lab
def test_at_another_nodes_way_the_plans_identity_check_tells_the_clone_from_master(tmp_path, sshd, clean_home,
                                                                                  monkeypatch) -> None:
    """At master's way the clone and master have the same host key: the plan's IDENTIFIES check decides. While it
    says "master", the node is not taken for standby; once it says "standby", the resume goes on there."""
    monkeypatch.setattr(node_module, "RESUME_LOOK_MIN", 2.0)
    who = tmp_path / "who"
    who.write_text("master\n")
    marker = tmp_path / "ran"
    identity = Action(id="t.is_clone", kind="check", target=Target.node("standby"), command=f"cat {who}",
                      expect=r"^standby$", via_address=f"127.0.0.1:{sshd.port}", why="the clone", tags=(IDENTIFIES,))
    action = move_action(sshd, f"echo ran >> {marker}", "127.0.0.1", "127.0.0.8")
    prepare = interrupted(sshd, "127.0.0.1", "127.0.0.8", ["t.restart-standby-notstarted"], seconds_ago=3600)
    engine, _ = engine_with(tmp_path, sshd, [identity, action], prepare)
    try:
        assert engine.run_action("t.restart") == "failed"
        error = engine.session.record("t.restart").error
        assert "has standby's host key but is not standby (t.is_clone says no): master, probably" in error
        assert not marker.exists()
        who.write_text("standby\n")
        assert engine.run_action("t.restart") == "ok", engine.session.record("t.restart").error
    finally:
        engine.close()
    # The new way never answers: found at the old way, run there (no earlier run had started it), read back there.
    rec = engine.session.record("t.restart")
    assert marker.read_text() == "ran\n"
    assert rec.exit_codes == {"standby": 0} and rec.status == "ok", rec.error


# -- check within sshd's MaxSessions ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sshd_two_sessions(tmp_path_factory: pytest.TempPathFactory):
    if not can_run_sshd():
        pytest.skip("needs root and OpenSSH's sshd")
    server = LoopbackSSHD(tmp_path_factory.mktemp("sshd2"), max_sessions=2).start()
    yield server
    server.stop()


@needs_sshd
@pytest.mark.lab
def test_many_commands_at_once_on_a_node_allowing_two_sessions_all_run(tmp_path, sshd_two_sessions, clean_home
                                                                       ) -> None:
    server = sshd_two_sessions
    opts = SSHOptions(port=server.port, identity_files=[str(server.client_key)], allow_agent=False,
                      look_for_keys=False)
    from wizard.run.hostkeys import HostKeyTrust
    (tmp_path / "kh").write_text(server.known_hosts_line())
    trust = HostKeyTrust(wizard_file=tmp_path / "wkh", user_files=[tmp_path / "kh"])
    conn = SSHConnection(resolve_endpoint("master", "127.0.0.1", opts), opts, trust).connect()
    outs: dict[int, list[str]] = {i: [] for i in range(6)}
    codes: dict[int, int] = {}

    def one(i: int) -> None:
        codes[i] = conn.run(f"sleep 0.4; echo {i}", on_line=lambda s, t: outs[i].append(t), timeout=30)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    conn.close()
    assert codes == dict.fromkeys(range(6), 0) and all(outs[i] == [str(i)] for i in range(6)), (codes, outs)


@needs_sshd
@pytest.mark.lab
def test_check_gets_every_verdict_from_nodes_allowing_two_sessions(tmp_path, sshd_two_sessions, clean_home) -> None:
    """Three probes at once per node and the cluster-wide ones on master, servers tunnelled through master: more
    channels than the node allows. Every probe still runs, each exactly once (its own output)."""
    from wizard.run.check import ProbeRunner

    server = sshd_two_sessions
    (tmp_path / "kh").write_text(server.known_hosts_line())
    probes = [Probe(f"{n}.{i}", n, f"sleep 0.2; echo {n}.{i}") for n in ("master", "standby", "cluster2")
              for i in range(8)]
    probes += [Probe(f"any.{i}", ANY_DIRECTOR, f"sleep 0.2; echo any.{i}") for i in range(6)]
    runner = ProbeRunner(answers_for(server), identity_files=[str(server.client_key)],
                         known_hosts=[str(tmp_path / "kh")], state_root=tmp_path / "state")
    runner.options.allow_agent = runner.options.look_for_keys = False
    try:
        results = runner.run(CheckPlan(probes, []))
    finally:
        runner.close()
    bad = {k: (r.code, r.error) for k, r in results.items() if r.code != 0 or r.stdout != k}
    assert len(results) == len(probes) and bad == {}, bad
    assert all(not re.search(r"\(\)", r.error) for r in results.values())


# -- a section of checks connects to its nodes at once -----------------------------------------------------------

@needs_sshd
@pytest.mark.lab
def test_in_a_section_of_checks_a_node_that_does_not_answer_costs_its_seconds_meanwhile(tmp_path, sshd, clean_home
                                                                                        ) -> None:
    """preflight's rule: once only checks are left, every node is dialled at once; the check of a server that does
    not answer (its director says so, retried ~10 s) waits only for what is left of that attempt."""
    import socket
    from types import SimpleNamespace

    from steps.model import Text

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    local = Target.local()
    actions = [
        Action(id="t.forward", kind="run", target=local, command="true", argv=("true",), why="made first"),
        Action(id="t.slow", kind="check", target=local, command="sleep 8", argv=("sleep", "8"), why="slow"),
        Action(id="t.reach", kind="check", target=Target.node("cluster2"), command="true", why="reach"),
        Action(id="t.master", kind="check", target=Target.node("master"), command="true", why="reach"),
    ]
    module = SimpleNamespace(ID="t", TITLE=Text("T", "T"), KEEP_GOING=True)
    engine, _ = engine_with(tmp_path, sshd, [])
    engine._set_plan([(module, actions)])
    engine.session.answers.servers[0].ssh_host, engine.session.answers.servers[0].ssh_port = "127.0.0.1", closed
    engine.session.answers.directors = engine.session.answers.directors[:1]
    try:
        t0 = time.monotonic()
        assert engine.run_section("t") is False
        took = time.monotonic() - t0
    finally:
        engine.close()
    rec = engine.session.record("t.reach")
    spent = (datetime.fromisoformat(rec.ended) - datetime.fromisoformat(rec.started)).total_seconds()
    assert rec.status == "failed" and "Tried" in rec.error and "cluster2" in rec.error, rec.error
    assert spent < 5, spent  # its ~10 s went by during the 8 s check before it
    assert engine.session.record("t.master").status == "ok"
    assert took < 16, took
