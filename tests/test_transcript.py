"""Transcript export: the sh script replays what ran (checked by replaying it), md reads well.

The engine runs a plan whose "remote" nodes are this machine (a Connections stand-in handing out
local runners), so the journal is the engine's own. The replay runs the exported script with an
`ssh` on PATH that runs its remote command locally: the same effects must come out.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest

from steps.model import Action, Target
from wizard.answers import Answers
from wizard.engine import Connections, Engine, section
from wizard.local import LocalRunner
from wizard.state import Session
from wizard.transcript import printf_for, remote_line, render

SECRET = "Tr4nscript-secret's $pw"


class LocalConnections(Connections):
    def get(self, node: str, address: str | None = None):  # noqa: ANN201 - a runner
        self.address(node)
        return LocalRunner()


def run_plan(tmp_path: Path, out: Path) -> Session:
    def a(i: str, cmd: str, target: Target | None = None, **kw) -> Action:
        return Action(id=f"t.{i}", kind=kw.pop("kind", "run"), target=target or Target.node("master"), command=cmd,
                      why=f"why {i}", **kw)

    q = shlex.quote
    actions = [
        a("write", f"cat > {q(str(out / 'cfg'))} <<'EOF'\nbind 'quoted' $not_expanded \\ back\nEOF", kind="write"),
        a("secret", f"read -r l; printf '%s' \"$l\" > {q(str(out / 'pw'))}", secrets=("hacluster_password",),
          stdin="hacluster:{hacluster_password}\n"),
        a("group", f"echo ran >> {q(str(out / 'group'))}", Target.of_group("servers", ["cluster2", "cluster3"])),
        a("skipme", f"touch {q(str(out / 'skipped'))}"),
        a("edit", f"touch {q(str(out / 'orig'))}"),
        a("done", f"touch {q(str(out / 'never'))}", probe="true"),
        a("local", f"echo local > {q(str(out / 'local'))}", Target.local()),
        a("fails", "echo broken >&2; exit 3", on_fail="look at the logs"),
    ]
    session = Session.create("x", Answers(profile="lab"), "lab", root=tmp_path / "state")
    engine = Engine(session, {"hacluster_password": SECRET}, None, plan=[section("t", "The section", actions)])
    engine.conns = LocalConnections(session.answers, engine.ssh_options, engine.trust, engine._emit)
    for action in actions:
        if action.id == "t.skipme":
            engine.skip(action.id)
        elif action.id == "t.edit":
            engine.run_action(action.id, command=f"touch {q(str(out / 'edited'))}")
        else:
            engine.run_action(action.id)
    return session


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_sh_export_replays_exactly_what_ran(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = run_plan(tmp_path, out)
    assert [e["status"] for e in session.journal] == ["ok", "ok", "ok", "skipped", "edited", "ok", "ok", "failed"]
    original = snapshot(out)
    assert original["pw"] == f"hacluster:{SECRET}" and original["group"] == "ran\nran\n"
    assert "skipped" not in original and "never" not in original and "orig" not in original

    script = render(session, "sh")
    assert SECRET not in script
    path = tmp_path / "replay.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    assert "# SKIPPED by the user" in script and "# EDITED by the user" in script
    assert "# already done (its probe said so)" in script and "# what to check: look at the logs" in script
    assert "-J root@192.168.1.101" in script  # the real servers through the first director
    assert "# The section [t]" in script

    # Replay: `ssh ... DEST REMOTE_COMMAND` runs REMOTE_COMMAND here, with ssh's stdin.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ssh").write_text('#!/bin/bash\necho "call ${@: -2:1}" >> "$SSH_LOG"\nexec bash -c "${@: -1}"\n')
    (fake / "ssh").chmod(0o755)
    for p in out.iterdir():
        p.unlink()
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", SSH_LOG=str(tmp_path / "ssh.log"))
    r = subprocess.run(["bash", str(path)], input=SECRET + "\n", env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "failed in the session too: t.fails" in r.stderr
    assert snapshot(out) == original
    calls = (tmp_path / "ssh.log").read_text().splitlines()
    # write, secret, group x2, edited, fails; not the skipped, already done or local ones.
    assert calls == ["call root@192.168.1.101"] * 2 + ["call root@10.0.100.12", "call root@10.0.100.13"] + [
        "call root@192.168.1.101"] * 2


def test_printf_and_remote_line_quoting() -> None:
    assert printf_for("hacluster:{hacluster_password}\n") == "printf 'hacluster:%s\\n' \"$HACLUSTER_PASSWORD\""
    assert printf_for("100% {a}\\{b}", sudo_password=True) == (
        "printf '%s\\n100%% %s\\\\%s' \"$SSH_PASSWORD\" \"$A\" \"$B\"")
    entry = {"command": "echo 'x'", "stdin": "{pw}\n", "endpoints": {
        "n": {"user": "admin", "address": "10.0.0.5", "port": 2222, "jump": "admin@1.2.3.4", "sudo": "password"}}}
    line = remote_line(entry, "n")
    assert line.startswith("printf '%s\\n%s\\n' \"$SSH_PASSWORD\" \"$PW\" | ssh -T -J admin@1.2.3.4 -p 2222 ")
    remote = shlex.split(line.split(" | ", 1)[1])[-1]
    assert shlex.split(remote) == ["sudo", "-S", "-k", "-p", "", "bash", "-c", "echo 'x'"]


def test_md_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = run_plan(tmp_path, out)
    md = render(session, "md")
    assert md.startswith("# ha-wizard session `x`")
    assert "## The section `[t]`" in md and "### `t.fails` — failed" in md
    assert "- stdin: hacluster_password (secret, not shown)" in md
    assert "- what to check: look at the logs" in md and SECRET not in md
    assert md.count("```") % 2 == 0
    with pytest.raises(ValueError, match="--format"):
        render(session, "html")


def test_measured_figures_end_both_exports_as_tables(tmp_path: Path) -> None:
    """Figures printed by the commands (a test's and ab's own report) come out as tables."""
    ab_report = ("Complete requests:      20\nFailed requests:        0\n"
                 "Requests per second:    123.45 [#/sec] (mean)\nTime per request:       8.1 [ms] (mean)\n")
    actions = [
        Action(id="v.recover", kind="run", target=Target.local(), why="w",
               command="echo 'HA-WIZARD-FIGURE haproxy_recovery=3.2 unit=s'"),
        Action(id="v.bench", kind="run", target=Target.local(), why="w",
               command="echo 'HA-WIZARD-BENCH tool=ab servers=2 page=index.php'; printf %s " + shlex.quote(ab_report)),
    ]
    session = Session.create("f", Answers(profile="lab"), "lab", root=tmp_path / "state")
    engine = Engine(session, {}, None, plan=[section("v", "Verification", actions)])
    for action in actions:
        assert engine.run_action(action.id) == "ok"
    md = render(session, "md")
    assert "| `v.recover` | haproxy_recovery | 3.2 s |" in md
    assert "| ab | index.php | 2 | 123.45 | 8.1 | 0.0 |" in md
    sh = render(session, "sh")
    assert "# | ab | index.php | 2 | 123.45 | 8.1 | 0.0 |" in sh
    script = tmp_path / "t.sh"
    script.write_text(sh)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
