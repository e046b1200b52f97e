"""Faults anywhere, on the lab: a node's cable pulled in the middle of a long remote command.

What must hold: a pulled cable ends the action as failed with a reason or lets it recover, never later
than its timeout, and the session resumes cleanly, running nothing twice.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from e2e_support import load_state, run_args, wizard_env

from wizard.answers import Answers, save_answers

pytestmark = pytest.mark.lab

# -- a cable pulled in the middle of a long remote command ------------------------------------------------------

CABLE_RUNNER = r'''
import argparse, sys
from steps.model import Action, Target
from wizard.cli_run import cmd_run, register
from wizard.engine import section
node, marker, seconds, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
# A long command: a little output, then quiet work (so, as a real long step would, it outlives a dropped
# connection: only writing to the lost session would end it), then its mark.
cmd = f"for i in 1 2 3; do echo tick $i; sleep 0.5; done; sleep {seconds - 1.5:g}; echo done >> {marker}"
plan = [section("cable", "Cable", [
    Action(id="cable.long", kind="run", target=Target.node(node), command=cmd, why="a long command",
           probe=f"grep -qx done {marker}", idempotent=False, timeout=timeout),
    Action(id="cable.after", kind="check", target=Target.node(node), command=f"grep -c done {marker}",
           expect=r"^1$", why="it took effect once"),
])]
parser = argparse.ArgumentParser()
sub = parser.add_subparsers(dest="cmd")
register(sub)
args = parser.parse_args(sys.argv[5:])
sys.exit(cmd_run(args, plan=plan))
'''


def _cable_run(tmp_path: Path, lab, answers: Answers, session: str, seconds: float, timeout: float,
               resume: bool = False) -> subprocess.Popen:
    script = tmp_path / "cable.py"
    script.write_text(CABLE_RUNNER)
    answers_file = tmp_path / "lab.toml"
    save_answers(answers, answers_file)
    args = run_args(lab, answers_file, session)
    if resume:
        args = ["run", "--resume", session, "--yes", *args[args.index("--session") + 2:]]
    marker = f"/tmp/ha-wizard-cable-{session}"
    env = wizard_env(tmp_path / "state")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return subprocess.Popen([sys.executable, str(script), answers.master.name, marker, str(seconds), str(timeout),
                             *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_running(state_dir: Path, session: str, action_id: str, proc: subprocess.Popen, settle: float = 1.5) -> None:
    """Until the action runs (the checkpoint says so before the command starts), and `settle` s more."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            rec = load_state(state_dir, session)["actions"].get(action_id, {})
        except (OSError, ValueError):
            rec = {}
        if rec.get("status") == "running":
            time.sleep(settle)
            return
        time.sleep(0.05)
    raise AssertionError(f"{action_id} never ran: {proc.communicate(timeout=30)[0][-3000:]}")


@pytest.mark.parametrize("outage, seconds, expect", [(4.0, 12, "recovers"), (35.0, 45, "fails")])
def test_cable_pulled_mid_command(lab_prepared, tmp_path: Path, outage: float, seconds: int, expect: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Pull master's cable while a long command runs on it (timeout 25 s), plug it back after `outage` s.

    A short outage: TCP carries the session over it and the action ends normally. A long one: the action
    fails with its reason when its timeout is reached, not later, while the command (45 s) still runs on the
    node out of reach; after the plug, the resume waits for that command, finds it done, and runs nothing twice.
    """
    lab = lab_prepared
    answers = Answers(profile="lab")
    m = answers.master
    session = f"cable-{int(outage)}"
    state_dir = tmp_path / "state"
    timeout = 25.0
    lab.exec(m.name, f"rm -f /tmp/ha-wizard-cable-{session}", timeout=30)
    proc = _cable_run(tmp_path, lab, answers, session, seconds=seconds, timeout=timeout)
    _wait_running(state_dir, session, "cable.long", proc)
    started = time.monotonic()
    lab.unplug(m.name, m.external_if)
    try:
        while time.monotonic() - started < outage and proc.poll() is None:
            time.sleep(0.1)
        if expect == "fails":
            assert proc.poll() is not None, "the action outlived its timeout with the cable out"
            while time.monotonic() - started < outage:
                time.sleep(0.1)
    finally:
        lab.plug(m.name, m.external_if)
    out, _ = proc.communicate(timeout=timeout + 60)
    rec = load_state(state_dir, session)["actions"]["cable.long"]
    took = (datetime.fromisoformat(rec["ended"]) - datetime.fromisoformat(rec["started"])).total_seconds()
    # Never later than its timeout: at most the 3 s the engine gives a kill to get through, and a save.
    assert took <= timeout + 5, (took, out[-2000:])
    resumed = ""
    if expect == "recovers":
        assert proc.returncode == 0 and rec["status"] == "ok", out[-3000:]
    else:
        assert proc.returncode == 1 and rec["status"] == "failed", out[-3000:]
        assert rec["error"] and ("timed out" in rec["error"] or "connection" in rec["error"]), rec["error"]
        # The command still runs on master (45 s): the resume must wait for it, not start a second one.
        assert "done" not in lab.exec(m.name, f"cat /tmp/ha-wizard-cable-{session} 2>/dev/null", timeout=30).stdout
        again = _cable_run(tmp_path, lab, answers, session, seconds=2, timeout=timeout, resume=True)
        out2, _ = again.communicate(timeout=120)
        assert again.returncode == 0, out2[-3000:]
        resumed = load_state(state_dir, session)["actions"]["cable.long"]["note"]
        assert resumed == "already done", out2[-3000:]
    marks = lab.exec(m.name, f"cat /tmp/ha-wizard-cable-{session}", timeout=30).stdout
    assert marks.count("done") == 1, marks
    with capsys.disabled():
        print(f"\ncable pulled {outage:g} s mid-command: {expect}; the action took {took:.1f} s (timeout "
              f"{timeout:g} s): {rec['status']} {rec['error']!r}" + (f"; resumed: {resumed}" if resumed else ""))
