"""Exports: the sh setup script (effective path, checked by running it), --history, the md record.

The engine runs a plan whose "remote" nodes are this machine (a Connections stand-in handing out
local runners), so the journal is the engine's own. The scripts run with an `ssh` on PATH that runs
its remote command locally (tests/test_setup_script_ssh.py runs one with the real OpenSSH client).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from node_shell import NodeShell

from steps.model import Action, Target
from wizard.base.answers import Answers
from wizard.base.i18n import EMPTY, STRINGS
from wizard.exports.setup_script import effective_entries
from wizard.exports.shell import printf_for, remote_line
from wizard.exports.transcript import counts, render
from wizard.run.connections import Connections
from wizard.run.engine import Engine, section
from wizard.session.state import Session

SECRET = "Tr4nscript-secret's $pw"
q = shlex.quote


class LocalConnections(Connections):
    def get(self, node: str, address: str | None = None):  # noqa: ANN201 - a runner
        self.address(node)
        return NodeShell()


def make_engine(tmp_path: Path, actions: list[Action], lang: str = "en", name: str = "x") -> Engine:
    session = Session.create(name, Answers(profile="lab"), "lab", root=tmp_path / "state", lang=lang)
    engine = Engine(session, {"hacluster_password": SECRET}, None, plan=[section("t", "The section", actions)],
                    identity_files=[str(tmp_path / "id key")], known_hosts=[tmp_path / "kh"], trust_new_hosts=True)
    engine.conns = LocalConnections(session.answers, engine.ssh_options, engine.trust, engine._emit)
    return engine


def a(i: str, cmd: str, target: Target | None = None, **kw) -> Action:
    return Action(id=f"t.{i}", kind=kw.pop("kind", "run"), target=target or Target.node("master"), command=cmd,
                  why=f"why {i}", why_es=f"por qué {i}", **kw)


def guide_like_session(tmp_path: Path, out: Path, lang: str = "en") -> Session:
    """A session with everything a student's has: edits, skips, a failure then a success, a wizard killed
    in the middle of an action, a wait that needed retries, an action its probe said was already done,
    a section undone (back to the snapshot) and done again."""
    marker = out / "powered_off"
    ticks = out / "ticks"
    actions = [
        a("write", f"cat > {q(str(out / 'cfg'))} <<'EOF'\nbind 'quoted' $not_expanded \\ back\nEOF", kind="write"),
        a("secret", f"read -r l; printf '%s' \"$l\" > {q(str(out / 'pw'))}", secrets=("hacluster_password",),
          stdin="hacluster:{hacluster_password}\n"),
        a("group", f"echo ran >> {q(str(out / 'group'))}", Target.of_group("servers", ["cluster2", "cluster3"])),
        a("skipme", f"touch {q(str(out / 'skipped'))}"),
        a("edit", f"touch {q(str(out / 'orig'))}"),
        # Already done in the session (the VM was off); on a fresh setup its probe says no: it must run.
        a("poweroff", f"echo off >> {q(str(marker))}", probe=f"test -e {q(str(marker))}", idempotent=False),
        a("after_poweroff", f"test -e {q(str(marker))} && echo modified >> {q(str(out / 'modifyvm'))}"),
        a("flaky", f"test -e {q(str(out / 'fixed'))} && echo once >> {q(str(out / 'flaky'))}"),
        a("cut", f"echo cut >> {q(str(out / 'cut'))}"),
        # Ready on the second look: a wait must retry, boundedly.
        a("wait", f"n=$(cat {q(str(ticks))} 2>/dev/null || echo 0); echo $((n + 1)) > {q(str(ticks))}; "
          f"echo \"ticks $((n + 1))\"", kind="wait", expect=r"^ticks [2-9]$", timeout=20, interval=0.2),
        a("local", f"echo local >> {q(str(out / 'local'))}", Target.local(),
          argv=("sh", "-c", f"echo local >> {q(str(out / 'local'))}")),
        a("undone", f"echo again >> {q(str(out / 'undone'))}"),
        a("fails", "echo broken >&2; exit 3", on_fail="look at the logs", on_fail_es="mira los registros"),
    ]
    engine = make_engine(tmp_path, actions, lang)
    marker.write_text("off\n")  # the session found the VM already off
    for action in actions:
        aid = action.id
        if aid == "t.skipme":
            engine.skip(aid)
        elif aid == "t.edit":
            assert engine.run_action(aid, command=f"touch {q(str(out / 'edited'))}") == "edited"
        elif aid == "t.flaky":
            assert engine.run_action(aid) == "failed"  # fixed by hand, then again
            (out / "fixed").write_text("")
            assert engine.run_action(aid) == "ok"
        elif aid == "t.cut":
            # The wizard was killed while it ran: the checkpoint says "running"; the resume runs it again.
            engine.session.record(aid).status = "running"
            engine._journal(action, action.command, False, "running", {}, EMPTY, {})
            assert engine.run_action(aid) == "ok"
        elif aid == "t.undone":
            assert engine.run_action(aid) == "ok"
            engine.session.add_journal({"seq": engine._seq + 1, "event": "undo", "snapshot": "preHA",
                                        "sections": ["t"], "actions": [aid], "section": "undo", "status": "ok"})
            engine._seq += 1
            assert engine.run_action(aid) == "ok"
        else:
            engine.run_action(aid)
    engine.session.save()
    return engine.session


def fake_ssh(tmp_path: Path) -> dict[str, str]:
    """PATH with an `ssh` that logs its destination and runs the remote command here, with ssh's stdin."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ssh").write_text('#!/bin/bash\necho "${@: -2:1} ${@: -1}" >> "$SSH_LOG"\nexec bash -c "${@: -1}"\n')
    (fake / "ssh").chmod(0o755)
    return dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", SSH_LOG=str(tmp_path / "ssh.log"))


def files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_sh_export_sets_up_along_the_effective_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    statuses = [e.get("event") or e["status"] for e in sorted(session.journal, key=lambda e: e["seq"])]
    assert statuses.count("failed") == 2 and "interrupted" in statuses and "undo" in statuses
    script = render(session, "sh")
    assert SECRET not in script
    path = tmp_path / "setup.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0

    # A fresh start: nothing of the session's effects, the VM not off yet; what the student fixed by
    # hand between the flaky step's two attempts is there (the script cannot know it).
    for p in out.iterdir():
        p.unlink()
    (out / "fixed").write_text("")
    env = fake_ssh(tmp_path)
    env.pop("HA_WIZARD_HACLUSTER_PASSWORD", None)
    t0 = time.monotonic()
    r = subprocess.run(["bash", str(path)], input=SECRET + "\n", env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert time.monotonic() - t0 < 10
    got = files(out)
    # Each action once as it last succeeded: the edit as edited, the flaky one once (not its failed try),
    # the interrupted one once, the undone one once; the skipped one not at all; the probe-guarded
    # power-off ran (not commented out), so what follows it found the VM off.
    assert got["cfg"] == "bind 'quoted' $not_expanded \\ back\n"
    assert got["pw"] == f"hacluster:{SECRET}"
    assert got["group"] == "ran\nran\n"
    assert got["powered_off"] == "off\n" and got["modifyvm"] == "modified\n"
    assert got["cut"] == "cut\n" and got["undone"] == "again\n" and got["local"] == "local\n"
    assert "edited" in got and "orig" not in got and "skipped" not in got
    assert got["ticks"] == "2\n"  # retried until ready, then on
    assert got["flaky"] == "once\n"  # its failed attempt is not replayed
    calls = (tmp_path / "ssh.log").read_text().splitlines()
    assert not any("exit 3" in c for c in calls)  # the failed action is not in the setup


def test_sh_export_stops_at_the_first_failure_and_skips_what_is_done(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    path = tmp_path / "setup.sh"
    path.write_text(render(session, "sh"))
    env = fake_ssh(tmp_path)
    env["HA_WIZARD_HACLUSTER_PASSWORD"] = SECRET  # from the environment: nothing read from stdin
    # Run twice on the session's own results: the probe-guarded action is skipped the second time.
    for p in out.iterdir():
        p.unlink()
    (out / "fixed").write_text("")
    first = subprocess.run(["bash", str(path)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(["bash", str(path)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 0
    assert files(out)["powered_off"] == "off\n"  # not twice: its probe said done
    assert "already done, skipped: t.poweroff@master" in second.stdout
    # Without the hand fix the flaky step fails: the script stops there and names it.
    (out / "fixed").unlink()
    (out / "cut").unlink()
    third = subprocess.run(["bash", str(path)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
    assert third.returncode == 1
    assert "step t.flaky@master failed" in third.stderr
    assert "cut" not in files(out)  # nothing after the failure ran


def test_sh_warn_only_check_warns_and_goes_on(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    flag = out / "ok"
    actions = [a("soft", f"cat {q(str(flag))}", kind="check", expect="^yes$", warn_only=True),
               a("hard", f"cat {q(str(flag))}", kind="check", expect="^yes$"),
               a("after", f"touch {q(str(out / 'after'))}")]
    engine = make_engine(tmp_path, actions)
    flag.write_text("yes\n")
    for action in actions:
        assert engine.run_action(action.id) == "ok"
    path = tmp_path / "setup.sh"
    path.write_text(render(engine.session, "sh"))
    env = fake_ssh(tmp_path)
    flag.write_text("no\n")
    (out / "after").unlink()
    r = subprocess.run(["bash", str(path)], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "warning (the session went on too): this check did not pass: t.soft@master" \
        in r.stderr and "step t.hard@master failed" in r.stderr  # the soft one warned, the hard one stopped it
    assert not (out / "after").exists()


def test_sh_wait_is_bounded(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    flag = out / "ready"
    actions = [a("wait", f"cat {q(str(flag))}", kind="wait", expect="^ready$", timeout=3, interval=1)]
    engine = make_engine(tmp_path, actions)
    flag.write_text("ready\n")
    assert engine.run_action("t.wait") == "ok"
    path = tmp_path / "setup.sh"
    path.write_text(render(engine.session, "sh"))
    flag.write_text("not ready\n")
    t0 = time.monotonic()
    r = subprocess.run(["bash", str(path)], env=fake_ssh(tmp_path), stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    took = time.monotonic() - t0
    assert r.returncode == 1 and "step t.wait@master failed" in r.stderr
    assert 1.5 <= took < 8, took
    assert r.stderr.count("not yet") == 2  # three looks, as the wizard: at 0, 1 and 2 s


def test_sh_texts_in_the_session_language(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    script = render(guide_like_session(tmp_path, out, lang="es"), "sh")
    assert "# por qué write" in script and "# why write" not in script
    assert "OMITIDA por el usuario" in script and "FALLÓ en la sesión" in script
    assert "EDITADA en la sesión" in script
    # No English sentence of the catalogue in a Spanish script (the words the two share aside).
    english = {en for key, (en, es) in STRINGS.items() if key.startswith("tr.sh.") and en != es and len(en) > 12}
    leaked = [en for en in english if en.split("{")[0] and en.split("{")[0] in script]
    assert not leaked, leaked
    path = tmp_path / "es.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0


def test_ssh_lines_use_the_sessions_options(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    script = render(session, "sh")
    opts_line = next(line for line in script.splitlines() if line.startswith("SSH_OPTS=("))
    words = shlex.split(opts_line[len("SSH_OPTS=("):-1])
    assert words[words.index("-i") + 1] == str(tmp_path / "id key")
    known = next(w for w in words if w.startswith("UserKnownHostsFile="))
    assert str(tmp_path / "state" / "known_hosts") in known and str(tmp_path / "kh") in known
    assert "StrictHostKeyChecking=accept-new" in words  # the session trusted new hosts
    # Servers through the first director, with the same options (ssh -J would drop -i/-o on the hop).
    assert 'ProxyCommand=ssh $SSH_OPTS_SH -W %h:%p -p 2201 root@127.0.0.1' in script  # master's port forward
    assert re.search(r"^SSH_OPTS_SH=", script, re.M)


def test_history_replays_every_attempt(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    script = render(session, "sh", history=True)
    path = tmp_path / "history.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0
    assert "# SKIPPED by the user in the session" in script and "# EDITED in the session" in script
    assert "# already done (its probe said so)" in script and "# what to check: look at the logs" in script
    assert "# INTERRUPTED: the wizard stopped" in script and "# Back to the snapshot \"preHA\"" in script
    for p in out.iterdir():
        p.unlink()
    (out / "powered_off").write_text("off\n")
    (out / "fixed").write_text("")
    env = fake_ssh(tmp_path)
    r = subprocess.run(["bash", str(path)], input=SECRET + "\n", env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "failed in the session too: t.fails" in r.stderr
    got = files(out)
    assert got["cut"] == "cut\ncut\n" and got["undone"] == "again\nagain\n"  # history: both runs


def test_md_is_the_faithful_record_and_its_counts_add_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    c = counts(session)
    assert c["total"] == 13
    assert (c["ran"], c["already"], c["edited"], c["skipped"], c["failed"], c["pending"]) == (9, 1, 1, 1, 1, 0)
    assert c["done"] == c["ran"] + c["already"] + c["edited"]
    assert c["done"] + c["skipped"] + c["failed"] + c["pending"] == c["total"]
    assert (c["attempts_failed"], c["interrupted"], c["undos"]) == (2, 1, 1)
    md = render(session, "md")
    assert "actions of the plan: 13 — done 11 (ran 9, already done 1, edited 1), skipped by the user 1, " \
           "failed 1, not done 0" in md
    assert "attempts recorded: 16 (failed 2, interrupted 1)" in md
    assert "### `t.flaky` — failed" in md and "### `t.flaky` — ok" in md  # both attempts are there
    assert "### `t.cut` — interrupted" in md
    assert "## Back to the snapshot \"preHA\"" in md and "`t`" in md
    assert "- stdin: hacluster_password (secret, not shown)" in md and SECRET not in md
    assert "Edited by the user; proposed:" in md
    assert md.count("```") % 2 == 0
    es = session
    es.lang = "es"
    md_es = render(es, "md")
    assert "acciones del plan: 13 — hechas 11" in md_es and "### `t.skipme` — omitida" in md_es
    with pytest.raises(ValueError, match="--format"):
        render(session, "html")


def test_effective_path_picks_the_last_success_after_the_last_undo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    entries, never = effective_entries(session)
    ids = [e["action_id"] for e in entries]
    assert ids == [p["id"] for p in session.plan] and never == []
    chosen = {e["action_id"]: e for e in entries}
    assert chosen["t.flaky"]["status"] == "ok" and chosen["t.cut"]["status"] == "ok"
    assert chosen["t.undone"]["seq"] == max(e["seq"] for e in session.journal if e.get("action_id") == "t.undone")
    # Undone and not done again: the action drops out of the path.
    session.journal.append({"seq": 999, "event": "undo", "snapshot": "preHA", "sections": ["t"],
                            "actions": ["t.undone", "t.local"], "section": "undo", "status": "ok"})
    entries, never = effective_entries(session)
    assert "t.undone" not in [e["action_id"] for e in entries] and never == ["t.local", "t.undone"]
    assert "t.undone" in render(session, "sh").split("Not done in the session")[1]


def test_printf_and_remote_line_quoting() -> None:
    assert printf_for("hacluster:{hacluster_password}\n") == (
        "printf 'hacluster:%s\\n' \"$HA_WIZARD_HACLUSTER_PASSWORD\"")
    assert printf_for("100% {a}\\{b}", sudo_password=True) == (
        "printf '%s\\n100%% %s\\\\%s' \"$HA_WIZARD_SSH_PASSWORD\" \"$HA_WIZARD_A\" \"$HA_WIZARD_B\"")
    entry = {"command": "echo 'x'", "stdin": "{pw}\n", "endpoints": {
        "n": {"user": "admin", "address": "10.0.0.5", "port": 2222, "jump": "admin@1.2.3.4:2201",
              "sudo": "password"}}}
    line = remote_line(entry, "n")
    assert line.startswith("printf '%s\\n%s\\n' \"$HA_WIZARD_SSH_PASSWORD\" \"$HA_WIZARD_PW\" | ssh ")
    words = shlex.split(line.split(" | ", 1)[1])
    assert words[:3] == ["ssh", "${SSH_OPTS[@]}", "-T"]
    assert "ProxyCommand=ssh $SSH_OPTS_SH -W %h:%p -p 2201 admin@1.2.3.4" in words
    assert words[words.index("-p") + 1] == "2222" and words[-2] == "admin@10.0.0.5"
    assert shlex.split(words[-1]) == ["sudo", "-S", "-k", "-p", "", "bash", "-c", "echo 'x'"]


def test_measured_figures_end_both_exports_as_tables(tmp_path: Path) -> None:
    """Figures printed by the commands (a test's and ab's own report) come out as tables."""
    ab_report = ("Complete requests:      20\nFailed requests:        0\n"
                 "Requests per second:    123.45 [#/sec] (mean)\nTime per request:       8.1 [ms] (mean)\n")
    actions = [
        Action(id="v.recover", kind="run", target=Target.local(), why="w",
               command="echo 'HA-WIZARD-FIGURE haproxy_recovery=3.2 unit=s'",
               argv=("echo", "HA-WIZARD-FIGURE haproxy_recovery=3.2 unit=s")),
        Action(id="v.bench", kind="run", target=Target.local(), why="w",
               command="echo 'HA-WIZARD-BENCH tool=ab servers=2 page=index.php'; printf %s " + shlex.quote(ab_report),
               argv=("printf", "%s", "HA-WIZARD-BENCH tool=ab servers=2 page=index.php\n" + ab_report)),
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


def test_a_session_that_logged_in_with_a_password_gets_it_through_askpass(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    session = guide_like_session(tmp_path, out)
    session.options["ssh"]["password"] = True
    script = render(session, "sh")
    assert "BatchMode=yes" not in script and "SSH_ASKPASS_REQUIRE=force" in script
    # The prompt names the secret in words and the variable that spares typing it (not "ssh_password: ").
    assert "read -rs -p 'The SSH/sudo password (or set HA_WIZARD_SSH_PASSWORD): ' HA_WIZARD_SSH_PASSWORD" in script
    # The helper ssh would call prints the password from the environment; nothing else holds it.
    prelude = script.split("##############")[0]
    helper = subprocess.run(["bash", "-c", prelude + '\ncat "$ASKPASS"; "$ASKPASS"'], input="pw 1%s\n",
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, "HA_WIZARD_HACLUSTER_PASSWORD": SECRET})
    assert helper.returncode == 0, helper.stderr
    assert helper.stdout.endswith("pw 1%s\n") and "pw 1%s" not in helper.stdout.split("\n", 2)[1]


def test_a_network_change_through_a_port_forward_waits_at_the_forward() -> None:
    """The engine journals a NAT forward as `host:port`; ssh wants `-p PORT user@host` (not user@host:port)."""
    from wizard.exports.shell import detached as _detached

    rc = "/tmp/ha-wizard-nic_add.restart_network.master-master-1.rc"
    ep = {"address": "127.0.0.1", "port": 2201, "user": "root", "reconnect": "127.0.0.1:2201",
          "sent": f"rm -f {rc}; nohup setsid sh -c 'systemctl restart networking; echo $? > {rc}' &"}
    entry = {"action_id": "nic_add.restart_network.master", "timeout": 300, "endpoints": {"master": ep},
             "command": "systemctl restart networking"}
    lines = "\n".join(_detached(entry, "master", ep, "en"))
    assert "127.0.0.1:2201" not in lines
    waits = [line for line in lines.splitlines() if f"cat {rc}" in line]
    assert waits and all("-p 2201 root@127.0.0.1 " in line for line in waits), waits
    # A director that moves to another forward (standby after its network change) is waited for there.
    lines = "\n".join(_detached(entry, "master", dict(ep, reconnect="127.0.0.1:2202"), "en"))
    assert any(f"cat {rc}" in line and "-p 2202 root@127.0.0.1 " in line for line in lines.splitlines())
