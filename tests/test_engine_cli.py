"""`ha-wizard run/sessions/export` as processes: SIGKILL mid-action then --resume, exit codes, exports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_ssh_helpers import LoopbackSSHD, sshd_fixture  # noqa: F401 - fixture

from wizard.base.answers import Answers, save_answers

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Resume-secret-4242"

# Runs `run` with a plan of its own (the real plan needs the lab); everything else is the real CLI.
RUNNER = r'''
import argparse, sys
from steps.model import Action, Target
from wizard.cli.run import cmd_run, register
from wizard.run.engine import section
F, M = sys.argv[1], sys.argv[2]
def a(i, cmd, **kw):
    return Action(id=f"t.{i}", kind="run", target=Target.node("master"), command=cmd, why=i,
                  idempotent=False, **kw)
plan = [section("t", "Test section", [
    a("a1", f"echo a1 >> {F}", probe=f"grep -qx a1 {F}"),
    a("a2", f"echo a2-start >> {M}; sleep 2; echo a2 >> {F}", probe=f"grep -qx a2 {F}"),
    a("pw", f"read -r p; test -n \"$p\" && echo a3 >> {F}", probe=f"grep -qx a3 {F}",
      secrets=("hacluster_password",), stdin="{hacluster_password}\n"),
    a("a4", f"echo a4 >> {F}", probe=f"grep -qx a4 {F}"),
])]
parser = argparse.ArgumentParser()
sub = parser.add_subparsers(dest="cmd")
register(sub)
args = parser.parse_args(sys.argv[3:])
sys.exit(cmd_run(args, plan=plan) if args.cmd == "run" else args.func(args))
'''


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    e = dict(os.environ, HOME=str(home), HA_WIZARD_STATE_DIR=str(tmp_path / "state"), COLUMNS="200")
    e.pop("SSH_AUTH_SOCK", None)
    e.pop("HA_WIZARD_HACLUSTER_PASSWORD", None)
    return e


def _cli(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wizard.cli.main", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60, **kw)


def test_run_bad_input_exits_2_without_traceback(tmp_path: Path, env: dict[str, str]) -> None:
    r = _cli(["run", "--answers", str(tmp_path / "missing.toml")], env)
    assert r.returncode == 2 and "missing.toml" in r.stderr and "Traceback" not in r.stderr
    r = _cli(["run", "--resume", "nosuch"], env)
    assert r.returncode == 2 and "no such session" in r.stderr and "Traceback" not in r.stderr
    r = _cli(["export", "nosuch"], env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = _cli(["run", "--answers", str(tmp_path / "x.toml"), "--pin", "master=nothex"], env)
    assert r.returncode == 2 and "--pin" in r.stderr


def test_run_needs_the_hacluster_password_from_env_when_not_a_tty(tmp_path: Path, env: dict[str, str]) -> None:
    answers = tmp_path / "answers.toml"
    save_answers(Answers(profile="lab"), answers)
    r = _cli(["run", "--answers", str(answers), "--section", "pcs_auth", "--session", "nopw"], env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "HA_WIZARD_HACLUSTER_PASSWORD" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "state" / "sessions" / "nopw").exists()  # nothing ran: no session left behind


@pytest.mark.lab
def test_sigkill_mid_action_then_resume_runs_everything_exactly_once(tmp_path: Path, env: dict[str, str],
                                                                      sshd: LoopbackSSHD) -> None:
    done, started = tmp_path / "done.txt", tmp_path / "started.txt"
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    answers = Answers(profile="lab", ssh_port=sshd.port)
    # Each director's way in is its own endpoint (the guide's default is a NAT forward on 2201/2202).
    answers.directors[0].ssh_host, answers.directors[0].ssh_port = "127.0.0.1", sshd.port
    answers.directors[1].ssh_host, answers.directors[1].ssh_port = "127.0.0.2", sshd.port
    save_answers(answers, tmp_path / "answers.toml")
    known = tmp_path / "kh"
    known.write_text(sshd.known_hosts_line())
    env = dict(env, HA_WIZARD_HACLUSTER_PASSWORD=SECRET, PYTHONPATH=str(ROOT))
    base = [sys.executable, str(script), str(done), str(started)]
    common = ["--identity", str(sshd.client_key), "--known-hosts", str(known)]
    proc = subprocess.Popen([*base, "run", "--answers", str(tmp_path / "answers.toml"), "--session", "k", *common],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while not (started.exists() and started.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), proc.communicate(timeout=5)[0]
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of t.a2 (it sleeps 2 s)
    # Read at once: the command goes on on the node after the wizard's death and ends 2 s later.
    assert done.read_text() == "a1\n"
    proc.communicate(timeout=10)
    sessions = subprocess.run([*base, "sessions"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert "k" in sessions.stdout and "interrupted" in sessions.stdout
    r = subprocess.run([*base, "run", "--resume", "k", *common], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "interrupted earlier: t.a2" in r.stdout
    # Exactly once each, although a2 was cut mid-way and every action appends.
    assert done.read_text() == "a1\na2\na3\na4\n"
    assert started.read_text() == "a2-start\n"
    # The secret is nowhere on disk; the export replays it from a variable.
    blobs = [p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert blobs and not any(SECRET.encode() in b for b in blobs)
    out = tmp_path / "replay.sh"
    r = subprocess.run([*base, "export", "k", "--format", "sh", "-o", str(out)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert SECRET not in text and "read -rs" in text and "HA_WIZARD_HACLUSTER_PASSWORD" in text
    assert subprocess.run(["bash", "-n", str(out)]).returncode == 0
    assert os.access(out, os.X_OK)
    # The setup script, run with the real OpenSSH client against the same nodes from scratch: each action
    # once (the interrupted a2 too), the password from stdin, the session's key and known_hosts.
    done.write_text("")
    env_run = dict(env)
    env_run.pop("HA_WIZARD_HACLUSTER_PASSWORD")
    r = subprocess.run(["bash", str(out)], input=SECRET + "\n", env=env_run, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert done.read_text() == "a1\na2\na3\na4\n"
    again = subprocess.run(["bash", str(out)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0 and again.stdout.count("already done, skipped") == 4, again.stdout + again.stderr
    assert done.read_text() == "a1\na2\na3\na4\n"
    # --history: every attempt in order; the interrupted run is replayed (it did run); the resumed
    # probe-skip is commented out.
    r = subprocess.run([*base, "export", "k", "--format", "sh", "--history", "-o", str(out)], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert subprocess.run(["bash", "-n", str(out)]).returncode == 0
    live = [line for line in text.splitlines() if line.startswith(("ssh ", "printf "))]
    assert [("a1" in x, "a2-start" in x, "a3" in x, "a4" in x) for x in live] == [
        (True, False, False, False), (False, True, False, False), (False, False, True, False),
        (False, False, False, True)]
    assert "# INTERRUPTED" in text and "# already done (its probe said so)" in text


def test_sessions_delete_asks_then_deletes_and_refuses_a_session_in_use(tmp_path: Path, env: dict[str, str]) -> None:
    from wizard.session.state import Session

    env = dict(env, LANG="C")
    state = tmp_path / "state"
    Session.create("old-try", Answers(), "rhel7", root=state).release()
    busy = Session.create("busy", Answers(), "rhel7", root=state, claim="app")  # held by this process
    try:
        # No terminal to ask on: refused without --yes, the session kept.
        out = _cli(["sessions", "--delete", "old-try"], env)
        assert out.returncode == 2 and "--yes" in out.stderr
        assert (state / "sessions" / "old-try").is_dir()
        # Asked on a terminal: "n" keeps it, "y" deletes it.
        import pexpect

        for reply, kept in (("n", True), ("y", False)):
            child = pexpect.spawn(sys.executable, ["-m", "wizard.cli.main", "sessions", "--delete", "old-try"], cwd=str(ROOT),
                                  env=env, encoding="utf-8", timeout=30)
            child.expect(r"\[y/N\]")
            child.sendline(reply)
            child.expect(pexpect.EOF)
            child.close()
            assert (state / "sessions" / "old-try").is_dir() == kept
        assert child.exitstatus == 0
        # A session another process runs is not deleted, even with --yes.
        out = _cli(["sessions", "--delete", "busy", "--yes"], env)
        assert out.returncode == 2 and "busy" in out.stderr
        assert (state / "sessions" / "busy" / "state.json").is_file()
        out = _cli(["sessions", "--delete", "nothing-here", "--yes"], env)
        assert out.returncode == 2 and "Traceback" not in out.stderr
    finally:
        busy.release()
    out = _cli(["sessions", "--delete", "busy", "--yes"], dict(env, LANG="es_ES.UTF-8"))
    assert out.returncode == 0 and "borrada" in out.stdout
    assert not (state / "sessions" / "busy").exists()
