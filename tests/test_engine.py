"""The engine over plans of local actions (no SSH): kinds, probes, checkpoints, secrets, events.

Local actions run without a shell: these tests give each one the argv `sh -c COMMAND` (a program
like any other), and probes a host operation that does the same.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from pathlib import Path

import pytest

from steps.model import Action, HostOp, Target
from wizard.base.answers import Answers
from wizard.run.engine import Engine, section
from wizard.run.events import ActionFinished, ActionStarted, OutputLine
from wizard.run.hostops import host_op
from wizard.session.state import STATE_FILE, Session

SECRET = "s3cr3t-Hacluster-pw"


@host_op("test_sh")
def _test_sh(ctx, on_line, cancel, timeout, *, command: str) -> int:  # noqa: ANN001 - a test's host op
    return ctx.runner.run_argv(["sh", "-c", command], on_line=on_line, timeout=timeout, cancel=cancel)


def act(action_id: str, command: str, kind: str = "run", probe: str = "", **kw) -> Action:
    return Action(id=action_id, kind=kind, target=Target.local(), command=command, why=f"why {action_id}",
                  argv=("sh", "-c", command) if command else (), probe=probe,
                  host_probe=HostOp.of("test_sh", command=probe) if probe else None, **kw)


def make(tmp_path: Path, actions: list[Action], name: str = "t", **kw) -> tuple[Engine, list]:
    events: list = []
    session = Session.create(name, Answers(profile="lab"), "lab", root=tmp_path / "state")
    sec = actions[0].id.split(".")[0]
    engine = Engine(session, {"hacluster_password": SECRET}, None, events.append,
                    plan=[section(sec, f"Section {sec}", actions)], **kw)
    return engine, events


def test_checkpoint_is_written_before_the_command_runs(tmp_path: Path) -> None:
    """The command itself reads the state file: it must already say `running`."""
    state = tmp_path / "state" / "sessions" / "t" / STATE_FILE
    probe_cmd = (f"python3 -c 'import json,sys; d=json.load(open(\"{state}\")); "
                 f"print(d[\"actions\"][\"s.one\"][\"status\"])'")
    engine, events = make(tmp_path, [act("s.one", probe_cmd)])
    assert engine.run_action("s.one") == "ok"
    assert [e.text for e in events if isinstance(e, OutputLine)] == ["running"]
    data = json.loads(state.read_text())
    rec = data["actions"]["s.one"]
    assert rec["status"] == "ok" and rec["exit_codes"] == {"local": 0} and rec["command_run"] == probe_cmd
    assert rec["started"] <= rec["ended"]


def test_streams_events_and_exit_codes(tmp_path: Path) -> None:
    engine, events = make(tmp_path, [act("s.out", "echo a; echo b >&2; printf c; exit 3")])
    assert engine.run_action("s.out") == "failed"
    lines = [(e.stream, e.text) for e in events if isinstance(e, OutputLine)]
    assert lines == [("stdout", "a"), ("stderr", "b"), ("stdout", "c")] or sorted(lines) == sorted(
        [("stdout", "a"), ("stderr", "b"), ("stdout", "c")])
    # Announced as what runs, quoted for this machine's shell.
    assert isinstance(events[0], ActionStarted) and events[0].command == "sh -c 'echo a; echo b >&2; printf c; exit 3'"
    fin = events[-1]
    assert isinstance(fin, ActionFinished) and fin.exit_codes == {"local": 3}
    assert "local: exit status 3" in fin.error


def test_check_and_wait_kinds(tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    actions = [
        act("s.check_ok", "echo Online: master standby", "check", expect=r"Online: .*standby"),
        act("s.check_bad", "echo Offline", "check", expect=r"Online"),
        act("s.bg", f"(sleep 0.6; touch {flag}) >/dev/null 2>&1 &"),
        act("s.wait", f"test -e {flag} && echo ready", "wait", expect="ready", timeout=5, interval=0.2),
        act("s.wait_never", "echo no", "wait", expect="yes", timeout=0.6, interval=0.2),
    ]
    engine, events = make(tmp_path, actions)
    assert engine.run_action("s.check_ok") == "ok"
    assert engine.run_action("s.check_bad") == "failed"
    rec = engine.session.record("s.check_bad")
    # What was looked for, in words (the action's why), never the regex.
    assert rec.error == "local: the output does not show it: why s.check_bad"
    assert rec.error_es == "local: la salida no lo muestra: why s.check_bad"
    assert engine.run_action("s.bg") == "ok"
    t0 = time.monotonic()
    assert engine.run_action("s.wait") == "ok"
    assert 0.3 < time.monotonic() - t0 < 4
    assert engine.run_action("s.wait_never") == "failed"
    assert "still not ready after 0.6 s" in engine.session.record("s.wait_never").error


def test_probe_makes_non_idempotent_actions_run_once(tmp_path: Path) -> None:
    target = tmp_path / "appended"
    a = act("s.append", f"echo line >> {target}", idempotent=False, probe=f"grep -qx line {target}")
    engine, events = make(tmp_path, [a])
    assert engine.run_action("s.append") == "ok"
    assert engine.run_action("s.append") == "ok"
    assert target.read_text() == "line\n"
    rec = engine.session.record("s.append")
    assert rec.note == "already done" and rec.runs == 1


def test_secret_goes_to_stdin_and_nowhere_else(tmp_path: Path) -> None:
    a = act("s.pw", 'read -r p; echo "len=${#p}"; echo "echoed: $p"', secrets=("hacluster_password",),
            stdin="hacluster:{hacluster_password}\n")
    engine, events = make(tmp_path, [a])
    assert engine.run_action("s.pw") == "ok"
    texts = [e.text for e in events if isinstance(e, OutputLine)]
    assert texts[0] == f"len={len('hacluster:' + SECRET)}"
    assert texts[1] == "echoed: hacluster:********"  # even an echo of it is redacted
    from wizard.exports.transcript import render
    blobs = [p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file()]
    blobs += [render(engine.session, "sh").encode(), render(engine.session, "md").encode()]
    assert not any(SECRET.encode() in b for b in blobs)


def test_missing_secret_fails_naming_the_variable(tmp_path: Path) -> None:
    a = act("s.pw", "cat", secrets=("hacluster_password",), stdin="{hacluster_password}\n")
    engine, _ = make(tmp_path, [a])
    engine.secrets = {}
    assert engine.run_action("s.pw") == "failed"
    assert "HA_WIZARD_HACLUSTER_PASSWORD" in engine.session.record("s.pw").error


def test_edited_skip_and_section_stops_at_failure(tmp_path: Path) -> None:
    out = tmp_path / "order"
    actions = [act("s.a", f"echo a >> {out}"), act("s.b", "exit 4", on_fail="check the frobnicator"),
               act("s.c", f"echo c >> {out}")]
    engine, _ = make(tmp_path, actions)
    assert engine.run_section("s") is False
    assert engine.session.status("s.c") == "pending" and engine.next_pending().id == "s.b"
    rec = engine.session.record("s.b")
    assert rec.on_fail == "check the frobnicator"
    # An edit that needs a shell is refused on this machine (it would not run on Windows), saying so.
    assert engine.run_action("s.b", command=f"echo fixed >> {out}") == "failed"
    assert "without a shell" in engine.session.record("s.b").error and out.read_text() == "a\n"
    edited = shlex.join(["sh", "-c", f"echo fixed >> {out}"])
    assert engine.run_action("s.b", command=edited) == "edited"
    rec = engine.session.record("s.b")
    assert rec.edited and rec.command_run == edited
    engine.skip("s.c")
    assert engine.run_section("s") is True
    assert out.read_text() == "a\nfixed\n"
    assert [e["status"] for e in engine.session.journal] == ["ok", "failed", "failed", "edited", "skipped"]


def test_manual_actions(tmp_path: Path) -> None:
    flag = tmp_path / "done-by-hand"
    actions = [act("s.hand", "", "manual", instructions="Plug the cable."),
               act("s.hand_check", f"test -e {flag}", "manual", instructions="Touch it.", timeout=3, interval=0.2)]
    engine, events = make(tmp_path, actions)
    assert engine.run_action("s.hand") == "failed"
    assert "--yes" in engine.session.record("s.hand").error
    assert any(isinstance(e, OutputLine) and e.text == "by hand: Plug the cable." for e in events)
    engine.yes = True
    assert engine.run_action("s.hand") == "ok"
    threading.Timer(0.5, flag.touch).start()
    assert engine.run_action("s.hand_check") == "ok"


def test_timeout_kills_the_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "survivor"
    a = act("s.slow", f"(sleep 2; touch {marker}) & sleep 30", timeout=0.8)
    engine, _ = make(tmp_path, [a])
    t0 = time.monotonic()
    assert engine.run_action("s.slow") == "failed"
    assert time.monotonic() - t0 < 4
    rec = engine.session.record("s.slow")
    assert rec.exit_codes == {"local": 124} and "timed out after 0.8 s" in rec.error
    time.sleep(2.3)
    assert not marker.exists()  # the background child died with its group


def test_cancel_stops_the_running_action(tmp_path: Path) -> None:
    engine, _ = make(tmp_path, [act("s.long", "sleep 30")])
    threading.Timer(0.4, engine.cancel).start()
    t0 = time.monotonic()
    assert engine.run_action("s.long") == "stopped"
    rec = engine.session.record("s.long")
    # Stopped by the user: said so, no exit status of the wizard's own signal, no hint about what failed.
    assert time.monotonic() - t0 < 4
    assert (rec.error, rec.error_es) == ("stopped by the user", "detenida por el usuario")
    assert rec.exit_codes == {} and rec.on_fail == ""
    assert engine.next_pending("s").id == "s.long"  # still to do


def test_interrupted_non_idempotent_without_probe_needs_a_human(tmp_path: Path) -> None:
    target = tmp_path / "x"
    engine, _ = make(tmp_path, [act("s.once", f"echo x >> {target}", idempotent=False)])
    engine.session.record("s.once").status = "running"  # as a SIGKILL mid-action leaves it
    assert engine.run_action("s.once") == "failed"
    assert "not idempotent and has no probe" in engine.session.record("s.once").error
    assert not target.exists()
    engine.session.record("s.once").status = "running"
    assert engine.run_action("s.once", force=True) == "ok"
    assert target.read_text() == "x\n"


def test_engine_builds_the_real_plan_and_lists_secrets(tmp_path: Path) -> None:
    steps = pytest.importorskip("steps")
    if not hasattr(steps, "full_plan"):
        pytest.skip("steps.full_plan not there yet")
    session = Session.create("real", Answers(profile="lab"), "lab", root=tmp_path)
    engine = Engine(session, {}, None)
    assert engine.section_ids() == [m.ID for m in steps.SECTIONS]
    assert engine.next_pending() is not None
    assert "hacluster_password" in engine.needed_secrets()
    assert Session.load("real", root=tmp_path).summary().total == len(session.plan) > 10
